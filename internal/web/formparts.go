package web

import (
	"fmt"
	"strings"
)

// textAreaField is the data of the "textarea" partial.
type textAreaField struct {
	ID, Label, Value, Error string
	Rows                    int
	Hint                    string
	LabelSize               string // a govuk label modifier ("s", "m"); "" for the default size
	Autocomplete            string // "" leaves the attribute out
}

// textArea builds the data of the "textarea" partial from a template:
// (textArea id label value error rows "hint=…" "label=s" "autocomplete=off").
// The id is the field's name too.
func textArea(id, label, value, errMsg string, rows int, opts ...string) (textAreaField, error) {
	f := textAreaField{ID: id, Label: label, Value: value, Error: errMsg, Rows: rows}
	for _, o := range opts {
		k, v, _ := strings.Cut(o, "=")
		switch k {
		case "hint":
			f.Hint = v
		case "label":
			f.LabelSize = v
		case "autocomplete":
			f.Autocomplete = v
		default:
			return f, fmt.Errorf("textArea: unknown option %q", k)
		}
	}
	return f, nil
}

// selectField is the data of the "select" partial.
type selectField struct {
	ID, Label, Placeholder string
	Options                []choice
	Value, Error           string
}

// selectInput builds the data of the "select" partial from a template:
// (selectInput id label placeholder options value error). The id is the
// field's name too.
func selectInput(id, label, placeholder string, options []choice, value, errMsg string) selectField {
	return selectField{ID: id, Label: label, Placeholder: placeholder, Options: options, Value: value, Error: errMsg}
}

// radiosField is the data of the "radios" partial.
type radiosField struct {
	Name, Legend string
	Options      []choice
	Value, Error string
	Small        bool
	Other        string // the label of the choice of none of Options; "" for no such choice
}

// radios builds the data of the "radios" partial from a template:
// (radios name legend options value error "small" "other=…").
func radios(name, legend string, options []choice, value, errMsg string, opts ...string) (radiosField, error) {
	f := radiosField{Name: name, Legend: legend, Options: options, Value: value, Error: errMsg}
	for _, o := range opts {
		k, v, _ := strings.Cut(o, "=")
		switch k {
		case "small":
			f.Small = true
		case "other":
			f.Other = v
		default:
			return f, fmt.Errorf("radios: unknown option %q", k)
		}
	}
	return f, nil
}
