package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/cogwatch/cogwatch/event"
)

// maxEventsInput bounds what `events decode` reads, so a wrong file (a disk
// image, /dev/zero) fails clearly instead of exhausting memory.
const maxEventsInput = 64 << 20

func newEventsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "events",
		Short: "Work with cogwatch user events",
		Long:  "Work with the user events cogwatch's triggers publish to SNS (CloudEvents 1.0, JSON).",
	}
	cmd.AddCommand(newEventsDecodeCmd())
	return cmd
}

func newEventsDecodeCmd() *cobra.Command {
	var compact bool
	cmd := &cobra.Command{
		Use:   "decode [file|-]",
		Short: "Validate and pretty-print user events",
		Long: `Validate and pretty-print cogwatch user events read from a file, or from
standard input when the file is - or absent.

The input may be one event, a JSON array of events, or JSON lines (one event
per line). Each event may be bare, as raw message delivery gives it, or inside
the SNS envelope SNS wraps around it for SQS and HTTP subscribers, and either
may be a JSON string holding the document (as SQS message bodies are).

Valid events are printed to standard output, re-encoded; each invalid one is
reported on standard error with its line (the column of a JSON syntax error,
and its index in an array), and the command exits 1 when any is invalid.

The input is at most 64 MiB: a larger one is refused (exit 1) before any of
it is decoded, and never read further than the limit.`,
		Example: `  cogwatch events decode events.jsonl
  aws sqs receive-message --queue-url "$Q" --max-number-of-messages 10 --query 'Messages[].Body' | cogwatch events decode`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name, in := "stdin", cmd.InOrStdin()
			if len(args) == 1 && args[0] != "-" {
				f, err := os.Open(args[0])
				if err != nil {
					return err
				}
				defer f.Close()
				name, in = args[0], f
				if st, err := f.Stat(); err == nil {
					switch {
					case st.IsDir():
						return fmt.Errorf("%s: is a directory", name)
					case st.Mode().IsRegular() && st.Size() > maxEventsInput:
						return tooLarge(name)
					}
				}
			}
			return decodeEventsCmd(cmd.OutOrStdout(), cmd.ErrOrStderr(), name, in, compact)
		},
	}
	cmd.Flags().BoolVar(&compact, "compact", false, "print each event on one line (JSON lines) instead of indented")
	return cmd
}

func decodeEventsCmd(stdout, stderr io.Writer, name string, in io.Reader, compact bool) error {
	b, err := readAtMost(in, maxEventsInput)
	if errors.Is(err, errTooLarge) {
		return tooLarge(name)
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", name, err)
	}
	records := decodeEvents(b)
	if len(records) == 0 {
		return fmt.Errorf("%s: no events in the input", name)
	}
	invalid := 0
	for _, r := range records {
		if r.Err != nil {
			invalid++
			fmt.Fprintf(stderr, "%s:%s: %v\n", name, r.Pos(), r.Err)
			continue
		}
		var out []byte
		if compact {
			out, err = json.Marshal(r.Event)
		} else {
			out, err = json.MarshalIndent(r.Event, "", "  ")
		}
		if err != nil {
			return err
		}
		if _, err := stdout.Write(append(out, '\n')); err != nil {
			return err
		}
	}
	if invalid > 0 {
		return fmt.Errorf("%d of %d events invalid", invalid, len(records))
	}
	return nil
}

var errTooLarge = errors.New("input too large")

func tooLarge(name string) error {
	return fmt.Errorf("%s: input larger than %d MiB", name, maxEventsInput>>20)
}

// readAtMost reads r to its end, or fails with errTooLarge as soon as it
// has read more than limit bytes. It reads in chunks and copies them once
// into a slice of the exact size, so a refused input costs about limit
// bytes of memory, not the twice as much io.ReadAll's growing buffer takes.
func readAtMost(r io.Reader, limit int64) ([]byte, error) {
	const chunk = 1 << 20
	var chunks [][]byte
	var total int64
	lr := io.LimitReader(r, limit+1)
	for {
		buf := make([]byte, chunk)
		n, err := io.ReadFull(lr, buf)
		if n > 0 {
			chunks = append(chunks, buf[:n])
			total += int64(n)
		}
		if total > limit {
			return nil, errTooLarge
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	if len(chunks) == 1 {
		return chunks[0], nil
	}
	return bytes.Join(chunks, nil), nil
}

// record is one event of the input, decoded or not.
type record struct {
	Line   int // 1-based line where the event starts (or the error is)
	Column int // 1-based column of a syntax error, else 0
	Index  int // 0-based index in a JSON array, -1 outside arrays
	Event  event.Event
	SNS    bool // it came inside an SNS envelope
	Err    error
}

// Pos renders where the record is: "3", "3:14", "3[2]".
func (r record) Pos() string {
	s := fmt.Sprint(r.Line)
	if r.Column > 0 {
		s += fmt.Sprintf(":%d", r.Column)
	}
	if r.Index >= 0 {
		s += fmt.Sprintf(": [%d]", r.Index)
	}
	return s
}

// decodeEvents splits the input into events and decodes each: a JSON array
// of events, JSON lines, or one or more concatenated (pretty-printed) JSON
// values. A syntax error in an array or concatenated values ends the
// decoding there (nothing after it can be found reliably); in JSON lines it
// costs only its line.
func decodeEvents(b []byte) []record {
	start := skipSpace(b, 0)
	switch {
	case start == len(b):
		return nil
	case b[start] == '[':
		return decodeArray(b)
	case isJSONLines(b[start:]):
		return decodeLines(b)
	}
	out := decodeStream(b)
	if last := out[len(out)-1]; last.Err != nil && last.Column > 0 && anyLineValid(b) {
		// A syntax error in what looks like JSON lines whose first line is
		// broken: decode line by line, so one bad line costs only itself.
		return decodeLines(b)
	}
	return out
}

func anyLineValid(b []byte) bool {
	for line := range bytes.SplitSeq(b, []byte("\n")) {
		if line = bytes.TrimSpace(line); len(line) > 0 && json.Valid(line) {
			return true
		}
	}
	return false
}

func decodeOne(raw []byte, r record) record {
	if raw[0] == '"' {
		// A JSON string holding the event or envelope, as SQS message
		// bodies come out of `aws sqs receive-message --query Messages[].Body`.
		var inner string
		if err := json.Unmarshal(raw, &inner); err != nil {
			r.Err = fmt.Errorf("event: decode: %w", err)
			return r
		}
		raw = bytes.TrimSpace([]byte(inner))
	}
	if len(raw) == 0 || raw[0] != '{' {
		r.Err = fmt.Errorf("event: decode: want a JSON object (an event or an SNS envelope), got %s", jsonKind(raw))
		return r
	}
	ev, env, err := event.FromSNS(raw)
	r.Event, r.SNS, r.Err = ev, env.Type != "", err
	return r
}

// jsonKind names the kind of JSON value raw starts with, for errors.
func jsonKind(raw []byte) string {
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	case '{':
		return "an object"
	}
	if raw[0] == '-' || raw[0] >= '0' && raw[0] <= '9' {
		return "a number"
	}
	return "something else"
}

// isJSONLines reports whether the first line of b is a complete JSON value.
func isJSONLines(b []byte) bool {
	first, _, _ := bytes.Cut(b, []byte("\n"))
	return json.Valid(bytes.TrimSpace(first))
}

func decodeLines(b []byte) []record {
	var out []record
	for i, line := range bytes.Split(b, []byte("\n")) {
		trimmed := bytes.TrimSpace(line)
		if len(trimmed) == 0 {
			continue
		}
		r := decodeOne(trimmed, record{Line: i + 1, Index: -1})
		if r.Err != nil && !json.Valid(trimmed) {
			lead := len(line) - len(bytes.TrimLeft(line, " \t\r"))
			r.Column = lead + syntaxOffset(trimmed, 0) + 1
		}
		out = append(out, r)
	}
	return out
}

// syntaxOffset returns the offset in b of the byte where the JSON value
// starting at begin breaks, or len(b) when b ends inside it; begin if the
// value is fine (the error is then in what comes before or after it). It
// decodes with a fresh json.Decoder: a Decoder's SyntaxError offsets are
// off once Token has been called, as decodeArray does.
func syntaxOffset(b []byte, begin int) int {
	var raw json.RawMessage
	err := json.NewDecoder(bytes.NewReader(b[begin:])).Decode(&raw)
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		return begin + max(int(se.Offset)-1, 0) // Offset counts the bytes read, the bad one included
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return len(b)
	}
	return begin
}

func decodeArray(b []byte) []record {
	dec := json.NewDecoder(bytes.NewReader(b))
	var out []record
	fail := func(index, begin int, err error) []record {
		line, col := position(b, dec.InputOffset())
		var se *json.SyntaxError
		if errors.As(err, &se) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			line, col = position(b, int64(syntaxOffset(b, begin)))
		}
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF // the array is not closed
		}
		return append(out, record{Line: line, Column: col, Index: index, Err: fmt.Errorf("event: decode: %w", err)})
	}
	if _, err := dec.Token(); err != nil { // the '['
		return fail(-1, skipSpace(b, 0), err)
	}
	for i := 0; dec.More(); i++ {
		begin := skipSpace(b, int(dec.InputOffset()))
		if i > 0 && begin < len(b) && b[begin] == ',' {
			begin = skipSpace(b, begin+1)
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return fail(i, begin, err)
		}
		line, _ := position(b, int64(begin))
		out = append(out, decodeOne(raw, record{Line: line, Index: i}))
	}
	if _, err := dec.Token(); err != nil { // the ']'
		return fail(-1, skipSpace(b, int(dec.InputOffset())), err)
	}
	if _, err := dec.Token(); err != io.EOF {
		line, col := position(b, int64(skipSpace(b, int(dec.InputOffset()))))
		return append(out, record{Line: line, Column: col, Index: -1, Err: errors.New("event: decode: data after the array")})
	}
	return out
}

func decodeStream(b []byte) []record {
	dec := json.NewDecoder(bytes.NewReader(b))
	var out []record
	for {
		begin := skipSpace(b, int(dec.InputOffset()))
		if begin == len(b) {
			return out
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			line, col := position(b, int64(syntaxOffset(b, begin)))
			return append(out, record{Line: line, Column: col, Index: -1, Err: fmt.Errorf("event: decode: %w", err)})
		}
		line, _ := position(b, int64(begin))
		out = append(out, decodeOne(raw, record{Line: line, Index: -1}))
	}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// position returns the 1-based line and column of byte offset off.
func position(b []byte, off int64) (line, col int) {
	off = max(0, min(off, int64(len(b))))
	before := b[:off]
	line = bytes.Count(before, []byte("\n")) + 1
	col = int(off) - (bytes.LastIndexByte(before, '\n') + 1) + 1
	return line, col
}
