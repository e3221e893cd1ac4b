package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// maxFileSize bounds the config file; a real one is a few hundred bytes.
const maxFileSize = 1 << 20

// Parse reads a YAML config from r over Default(). name is the file name
// used in error messages and stored in Config.Path. Parsing is strict:
// unknown keys, duplicate keys, wrong types and more than one YAML document
// are errors, all reported at once as *FieldError values joined with
// errors.Join. An empty file gives the defaults. Parse does not validate
// values; call Validate (Load does both).
func Parse(r io.Reader, name string) (Config, error) {
	c := Default()
	c.Path = name
	c.lines = map[string]int{}
	p := &problems{file: name}

	data, err := io.ReadAll(io.LimitReader(r, maxFileSize+1))
	if err != nil {
		return Config{}, fmt.Errorf("read config %s: %w", name, err)
	}
	if len(data) > maxFileSize {
		p.add(0, "", "file is larger than %d bytes", maxFileSize)
		return Config{}, p.err()
	}

	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return c, nil
		}
		line, msg := syntaxError(err)
		p.add(line, "", "invalid YAML: %s", msg)
		return Config{}, p.err()
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case err == nil:
		p.add(extra.Line, "", "only one YAML document is allowed (found a second after ---)")
		return Config{}, p.err()
	case !errors.Is(err, io.EOF):
		line, msg := syntaxError(err)
		p.add(line, "", "invalid YAML: %s", msg)
		return Config{}, p.err()
	}

	w := walker{p: p, lines: c.lines}
	if len(doc.Content) == 1 {
		w.mapping(doc.Content[0], reflect.ValueOf(&c).Elem(), "")
	}
	if err := p.err(); err != nil {
		return Config{}, err
	}
	return c, nil
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// syntaxError splits a yaml error into a line and a message.
func syntaxError(err error) (int, string) {
	msg := err.Error()
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return line, m[2]
	}
	return 0, strings.TrimPrefix(msg, "yaml: ")
}

// walker overlays a yaml.Node tree on a struct, checking each key against
// the struct's yaml tags and recording where each value was set.
type walker struct {
	p     *problems
	lines map[string]int
}

// resolve follows aliases, so "fetch: *common" is read like its anchor.
func resolve(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

func join(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}

// mapping overlays the mapping node n on the struct v at key path path.
// A null node keeps the defaults.
func (w walker) mapping(n *yaml.Node, v reflect.Value, path string) {
	n = resolve(n)
	if isNull(n) {
		return
	}
	if n.Kind != yaml.MappingNode {
		what := "the config file"
		if path != "" {
			what = "this section"
		}
		w.p.add(n.Line, path, "%s must be a mapping of keys, got %s", what, describe(n))
		return
	}
	fields := yamlFields(v.Type())
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := resolve(n.Content[i]), n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			w.p.add(k.Line, path, "keys must be plain names, got %s", describe(k))
			continue
		}
		key := join(path, k.Value)
		if first, dup := seen[k.Value]; dup {
			w.p.add(k.Line, key, "duplicate key (first set on line %d)", first)
			continue
		}
		seen[k.Value] = k.Line
		idx, ok := fields[k.Value]
		if !ok {
			w.p.add(k.Line, key, "%s", unknownKey(k.Value, fields))
			continue
		}
		w.lines[key] = k.Line
		w.value(val, v.Field(idx), key)
	}
}

var unmarshalerType = reflect.TypeFor[yaml.Unmarshaler]()

// value overlays one value node on the field f.
func (w walker) value(n *yaml.Node, f reflect.Value, path string) {
	line := n.Line
	n = resolve(n)
	if isNull(n) {
		return
	}
	switch {
	case reflect.PointerTo(f.Type()).Implements(unmarshalerType):
		if err := n.Decode(f.Addr().Interface()); err != nil {
			w.p.add(line, path, "%s", err.Error())
		}
	case f.Kind() == reflect.Struct:
		w.mapping(n, f, path)
	case f.Kind() == reflect.Slice && f.Type().Elem().Kind() == reflect.String:
		w.strings(n, f, path)
	case f.Kind() == reflect.Slice && f.Type().Elem().Kind() == reflect.Struct:
		w.structs(n, f, path)
	case f.Kind() == reflect.String:
		if n.Kind != yaml.ScalarNode {
			w.p.add(line, path, "must be a single value, got %s", describe(n))
			return
		}
		f.SetString(n.Value)
	case f.Kind() == reflect.Int:
		var i int
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" || n.Decode(&i) != nil {
			w.p.add(line, path, "must be a whole number, got %s", describe(n))
			return
		}
		f.SetInt(int64(i))
	case f.Kind() == reflect.Bool:
		var b bool
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" || n.Decode(&b) != nil {
			w.p.add(line, path, "must be true or false, got %s", describe(n))
			return
		}
		f.SetBool(b)
	default:
		w.p.add(line, path, "cannot be set from a file")
	}
}

// strings overlays a sequence of scalars on a []string field, recording the
// line of each item as path[i].
func (w walker) strings(n *yaml.Node, f reflect.Value, path string) {
	if n.Kind != yaml.SequenceNode {
		w.p.add(n.Line, path, "must be a list like [a, b], got %s", describe(n))
		return
	}
	items := make([]string, 0, len(n.Content))
	ok := true
	for i, item := range n.Content {
		line := item.Line
		item = resolve(item)
		ipath := path + "[" + strconv.Itoa(i) + "]"
		if item.Kind != yaml.ScalarNode || isNull(item) {
			w.p.add(line, ipath, "must be a single value, got %s", describe(item))
			ok = false
			continue
		}
		w.lines[ipath] = line
		items = append(items, item.Value)
	}
	if ok {
		f.Set(reflect.ValueOf(items))
	}
}

// structs overlays a sequence of mappings on a slice of structs (such as
// notify.webhooks), recording the line of each item as path[i] and of its
// keys as path[i].key.
func (w walker) structs(n *yaml.Node, f reflect.Value, path string) {
	if n.Kind != yaml.SequenceNode {
		w.p.add(n.Line, path, "must be a list of entries like [{key: value}], got %s", describe(n))
		return
	}
	items := reflect.MakeSlice(f.Type(), len(n.Content), len(n.Content))
	for i, item := range n.Content {
		ipath := path + "[" + strconv.Itoa(i) + "]"
		w.lines[ipath] = item.Line
		w.mapping(item, items.Index(i), ipath)
	}
	f.Set(items)
}

// yamlFields maps a struct's yaml key names to field indexes.
func yamlFields(t reflect.Type) map[string]int {
	m := map[string]int{}
	for i := range t.NumField() {
		sf := t.Field(i)
		name, _, _ := strings.Cut(sf.Tag.Get("yaml"), ",")
		if !sf.IsExported() || name == "" || name == "-" {
			continue
		}
		m[name] = i
	}
	return m
}

// describe names what a node is without echoing long values: a scalar is
// shown (shortened), since keys that can hold it are never secrets.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if isNull(n) {
			return "nothing"
		}
		return strconv.Quote(shorten(n.Value))
	default:
		return "an alias"
	}
}
