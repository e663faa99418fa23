package recording

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sync"
)

// Func returns an AWS call of type F (the SDK method's shape: context, input,
// option functions) that sends nothing but writes each input as one JSON line
// to w and returns answer(input). It fails only when ctx has ended or the
// line cannot be encoded or written, with an error naming op. It is safe for
// concurrent use: lines never interleave, and answer runs under the same lock
// as the write, so it sees the calls one at a time in the order of the lines.
func Func[F ~func(context.Context, *In, ...func(*O)) (*Out, error), In, Out, O any](w io.Writer, op string, answer func(*In) *Out) F {
	var mu sync.Mutex
	return func(ctx context.Context, in *In, _ ...func(*O)) (*Out, error) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		line, err := json.Marshal(in)
		if err != nil {
			return nil, fmt.Errorf("record %s: %w", op, err)
		}
		line = append(line, '\n')
		mu.Lock()
		defer mu.Unlock()
		if _, err := w.Write(line); err != nil {
			return nil, fmt.Errorf("record %s: %w", op, err)
		}
		return answer(in), nil
	}
}

// Each decodes the lines of r, as Func wrote them, each into a new In, and
// hands them to f in order. It stops at the first line that does not decode
// or does not fit in maxLine bytes with its newline; the error names op and,
// for a line that does not decode, its number (from 1). f has seen every line
// before it.
func Each[In any](r io.Reader, op string, maxLine int, f func(*In)) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, min(64<<10, maxLine)), maxLine)
	for n := 1; sc.Scan(); n++ {
		var in In
		if err := json.Unmarshal(sc.Bytes(), &in); err != nil {
			return fmt.Errorf("summarize %s record %d: %w", op, n, err)
		}
		f(&in)
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("summarize %s records: %w", op, err)
	}
	return nil
}
