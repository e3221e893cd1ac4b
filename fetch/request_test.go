package fetch

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestReadLimited(t *testing.T) {
	body := strings.Repeat("x", 1000)
	tests := []struct {
		name    string
		r       io.Reader
		size    int64 // announced length, -1 unknown
		limit   int64
		want    int // bytes returned
		wantErr error
	}{
		{name: "announced", r: strings.NewReader(body), size: 1000, limit: 2000, want: 1000},
		{name: "unknown length", r: strings.NewReader(body), size: -1, limit: 2000, want: 1000},
		{name: "one byte at a time", r: iotest.OneByteReader(strings.NewReader(body)), size: 1000, limit: 2000, want: 1000},
		{name: "shorter than announced", r: strings.NewReader(body), size: 5000, limit: 8000, want: 1000},
		{name: "longer than announced", r: strings.NewReader(body), size: 10, limit: 2000, want: 1000},
		{name: "exactly the limit", r: strings.NewReader(body), size: 1000, limit: 1000, want: 1000},
		{name: "over the limit", r: strings.NewReader(body), size: 1000, limit: 999, want: 999, wantErr: errBodyTooLarge},
		{name: "over the limit, unknown length", r: strings.NewReader(body), size: -1, limit: 10, want: 10, wantErr: errBodyTooLarge},
		{name: "huge announced length", r: strings.NewReader(body), size: DefaultMaxBody, limit: DefaultMaxBody, want: 1000},
		{name: "read error", r: io.MultiReader(strings.NewReader(body), iotest.ErrReader(io.ErrUnexpectedEOF)), size: 2000, limit: 4000, want: 1000, wantErr: io.ErrUnexpectedEOF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readLimited(tt.r, tt.size, tt.limit)
			if !errors.Is(err, tt.wantErr) || len(got) != tt.want || !bytes.Equal(got, []byte(body[:tt.want])) {
				t.Fatalf("readLimited() = %d bytes, %v; want %d bytes, %v", len(got), err, tt.want, tt.wantErr)
			}
			if tt.size == DefaultMaxBody && cap(got) > presizeMax {
				t.Fatalf("readLimited() allocated %d bytes for a %d-byte body announced as %d", cap(got), len(got), tt.size)
			}
		})
	}
}
