package report

import (
	"archive/zip"
	"compress/flate"
	"io"
	"sync"

	"github.com/xuri/excelize/v2"
)

// A flate writer holds about a megabyte of tables, and a workbook has a
// score of zip parts: written once each, a split report's 2,000 small
// workbooks spent most of their time allocating and collecting them. The
// pools reuse them, one pool per compression level.
var (
	flateDefault = &flatePool{level: flate.DefaultCompression}
	flateFast    = &flatePool{level: flate.BestSpeed}
)

// flatePool hands out reusable flate writers of one level.
type flatePool struct {
	level int
	pool  sync.Pool
}

// compressor is a zip.Compressor drawing from p.
func (p *flatePool) compressor(w io.Writer) (io.WriteCloser, error) {
	if fw, ok := p.pool.Get().(*flate.Writer); ok {
		fw.Reset(w)
		return &pooledFlate{Writer: fw, p: p}, nil
	}
	fw, err := flate.NewWriter(w, p.level)
	if err != nil {
		return nil, err
	}
	return &pooledFlate{Writer: fw, p: p}, nil
}

// pooledFlate returns its writer to the pool once closed.
type pooledFlate struct {
	*flate.Writer
	p *flatePool
}

func (w *pooledFlate) Close() error {
	err := w.Writer.Close()
	w.p.pool.Put(w.Writer)
	w.Writer = nil
	return err
}

// zipWriter returns excelize's zip writer with pooled compressors, the
// fastest when fast is set.
func zipWriter(fast bool) func(io.Writer) excelize.ZipWriter {
	p := flateDefault
	if fast {
		p = flateFast
	}
	return func(w io.Writer) excelize.ZipWriter {
		zw := zip.NewWriter(w)
		zw.RegisterCompressor(zip.Deflate, p.compressor)
		return zw
	}
}
