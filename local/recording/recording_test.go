package recording

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

type input struct {
	ID int `json:"id"`
}

type output struct{ Seq int }

type option struct{}

type callFunc func(context.Context, *input, ...func(*option)) (*output, error)

// TestFuncAnswersInLineOrder: concurrent calls write whole lines, and the
// answer each call gets matches its line's position.
func TestFuncAnswersInLineOrder(t *testing.T) {
	var buf bytes.Buffer
	seq := 0
	call := Func[callFunc](&buf, "Call", func(*input) *output {
		seq++
		return &output{Seq: seq}
	})
	const n = 50
	got := make([]int, n) // call id → answered sequence number
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			out, err := call(t.Context(), &input{ID: i})
			require.NoError(t, err)
			got[i] = out.Seq
		})
	}
	wg.Wait()
	var lines []int
	require.NoError(t, Each(&buf, "Call", 1<<10, func(in *input) { lines = append(lines, in.ID) }))
	require.Len(t, lines, n)
	for pos, id := range lines {
		require.Equal(t, pos+1, got[id], "call %d is line %d", id, pos+1)
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestFuncErrors(t *testing.T) {
	answered := false
	call := Func[callFunc](failingWriter{}, "Call", func(*input) *output { answered = true; return &output{} })
	_, err := call(t.Context(), &input{})
	require.EqualError(t, err, "record Call: disk full")

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err = call(ctx, &input{})
	require.ErrorIs(t, err, context.Canceled)
	require.False(t, answered, "no answer without a record")
}

func TestEach(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		maxLine int
		want    []int
		wantErr string
		is      error
	}{
		{name: "lines", in: "{\"id\":1}\n{\"id\":2}\n", maxLine: 64, want: []int{1, 2}},
		{name: "empty", in: "", maxLine: 64},
		{name: "fresh value each line", in: "{\"id\":1}\n{}\n", maxLine: 64, want: []int{1, 0}},
		{name: "bad line", in: "{\"id\":1}\nnot json\n{\"id\":3}\n", maxLine: 64, want: []int{1},
			wantErr: "summarize Call record 2: invalid character 'o' in literal null (expecting 'u')"},
		{name: "line too long", in: "{\"id\":1}\n{\"id\":" + strings.Repeat("1", 100) + "}\n", maxLine: 64, want: []int{1},
			wantErr: "summarize Call records: bufio.Scanner: token too long", is: bufio.ErrTooLong},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []int
			err := Each(strings.NewReader(tc.in), "Call", tc.maxLine, func(in *input) { got = append(got, in.ID) })
			require.Equal(t, tc.want, got)
			if tc.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.EqualError(t, err, tc.wantErr)
			if tc.is != nil {
				require.ErrorIs(t, err, tc.is)
			}
		})
	}
}
