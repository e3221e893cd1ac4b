package report

import (
	"fmt"
	"strings"

	"github.com/xuri/excelize/v2"
)

// Page margins in inches: narrow, so a printed table loses little paper
// to borders (Excel's "Narrow" preset).
const (
	marginSide   = 0.25
	marginTop    = 0.5
	marginHeader = 0.3
)

// setPrint makes a sheet print landscape and one page wide. fitHeight is
// the number of pages tall: 0 lets the rows run over as many pages as they
// need (a table), 1 keeps the sheet on one page (Summary). With
// repeatHeader, row 1 is printed at the top of every page (the defined
// name _xlnm.Print_Titles). It must be called before a stream writer
// starts on the sheet, which writes the sheet properties first.
func setPrint(f *excelize.File, sheet string, fitHeight int, repeatHeader bool) error {
	fit := true
	if err := f.SetSheetProps(sheet, &excelize.SheetPropsOptions{FitToPage: &fit}); err != nil {
		return fmt.Errorf("fit to page: %w", err)
	}
	landscape, wide := "landscape", 1
	paper := 9 // A4; Letter users get it scaled by their printer dialog
	err := f.SetPageLayout(sheet, &excelize.PageLayoutOptions{
		Size: &paper, Orientation: &landscape, FitToWidth: &wide, FitToHeight: &fitHeight,
	})
	if err != nil {
		return fmt.Errorf("page layout: %w", err)
	}
	side, top, header := marginSide, marginTop, marginHeader
	err = f.SetPageMargins(sheet, &excelize.PageLayoutMarginsOptions{
		Left: &side, Right: &side, Top: &top, Bottom: &top, Header: &header, Footer: &header,
	})
	if err != nil {
		return fmt.Errorf("page margins: %w", err)
	}
	if !repeatHeader {
		return nil
	}
	err = f.SetDefinedName(&excelize.DefinedName{
		Name:     "_xlnm.Print_Titles",
		RefersTo: fmt.Sprintf("'%s'!$1:$1", strings.ReplaceAll(sheet, "'", "''")),
		Scope:    sheet,
	})
	if err != nil {
		return fmt.Errorf("print titles: %w", err)
	}
	return nil
}
