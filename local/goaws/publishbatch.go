package goaws

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/Admiral-Piett/goaws/app"
)

// MaxBatchEntries is SNS's limit on the entries of one PublishBatch call.
const MaxBatchEntries = 10

const entryPrefix = "PublishBatchRequestEntries.member."

// publishBatch serves SNS PublishBatch, which goaws v0.4.4 lacks, by
// publishing each entry through goaws' own Publish (next), in order, and
// answering as SNS does: Successful and Failed entries by Id. It refuses what
// SNS refuses as a whole (no entries, more than MaxBatchEntries, repeated
// ids). Every other request goes to next untouched.
func publishBatch(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.Header.Get("X-Amz-Target") != "" ||
			!strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
			next.ServeHTTP(w, r)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequest))
		if err != nil {
			writeQueryError(w, http.StatusBadRequest, "BatchRequestTooLong", "request too large")
			return
		}
		form, err := url.ParseQuery(string(body))
		if err != nil || form.Get("Action") != "PublishBatch" {
			r.Body = io.NopCloser(bytes.NewReader(body))
			next.ServeHTTP(w, r)
			return
		}
		entries := batchEntries(form)
		switch {
		case len(entries) == 0:
			writeQueryError(w, http.StatusBadRequest, "EmptyBatchRequest", "The batch request doesn't contain any entries.")
			return
		case len(entries) > MaxBatchEntries:
			writeQueryError(w, http.StatusBadRequest, "TooManyEntriesInBatchRequest", "The batch request contains more entries than permissible.")
			return
		}
		seen := map[string]bool{}
		for _, e := range entries {
			id := e.Get("Id")
			if seen[id] {
				writeQueryError(w, http.StatusBadRequest, "BatchEntryIdsNotDistinct", "Two or more batch entries in the request have the same Id.")
				return
			}
			seen[id] = true
		}

		var res batchResult
		for _, e := range entries {
			one := url.Values{"Action": {"Publish"}, "Version": {"2010-03-31"}, "TopicArn": {form.Get("TopicArn")}}
			for k, v := range e {
				if k != "Id" {
					one[k] = v
				}
			}
			req, err := http.NewRequestWithContext(r.Context(), http.MethodPost, "/", strings.NewReader(one.Encode()))
			if err != nil {
				writeQueryError(w, http.StatusInternalServerError, "InternalError", err.Error())
				return
			}
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			rec := &recorder{header: http.Header{}, code: http.StatusOK}
			next.ServeHTTP(rec, req)
			id := e.Get("Id")
			if rec.code >= 300 {
				var er app.ErrorResponse
				code, msg := "InternalError", strings.TrimSpace(rec.body.String())
				if xml.Unmarshal(rec.body.Bytes(), &er) == nil && er.Result.Code != "" {
					code, msg = er.Result.Code, er.Result.Message
				}
				res.Failed = append(res.Failed, batchFailed{ID: id, Code: code, Message: msg, SenderFault: rec.code < 500})
				continue
			}
			var pr app.PublishResponse
			if err := xml.Unmarshal(rec.body.Bytes(), &pr); err != nil {
				res.Failed = append(res.Failed, batchFailed{ID: id, Code: "InternalError", Message: "undecodable Publish answer"})
				continue
			}
			res.Successful = append(res.Successful, batchOK{ID: id, MessageID: pr.Result.MessageId})
		}
		out, err := xml.Marshal(batchResponse{Xmlns: "http://sns.amazonaws.com/doc/2010-03-31/", Result: res,
			Metadata: app.ResponseMetadata{RequestId: "publish-batch"}})
		if err != nil {
			writeQueryError(w, http.StatusInternalServerError, "InternalError", err.Error())
			return
		}
		w.Header().Set("Content-Type", "text/xml")
		_, _ = w.Write(out)
	})
}

// batchEntries groups PublishBatchRequestEntries.member.N.<field> by N, in
// N's order, each as the fields of a Publish call.
func batchEntries(form url.Values) []url.Values {
	byN := map[int]url.Values{}
	for k, v := range form {
		rest, ok := strings.CutPrefix(k, entryPrefix)
		if !ok {
			continue
		}
		num, field, ok := strings.Cut(rest, ".")
		n, err := strconv.Atoi(num)
		if !ok || err != nil {
			continue
		}
		if byN[n] == nil {
			byN[n] = url.Values{}
		}
		byN[n][field] = v
	}
	ns := make([]int, 0, len(byN))
	for n := range byN {
		ns = append(ns, n)
	}
	sort.Ints(ns)
	out := make([]url.Values, 0, len(ns))
	for _, n := range ns {
		out = append(out, byN[n])
	}
	return out
}

type batchResponse struct {
	XMLName  xml.Name             `xml:"PublishBatchResponse"`
	Xmlns    string               `xml:"xmlns,attr"`
	Result   batchResult          `xml:"PublishBatchResult"`
	Metadata app.ResponseMetadata `xml:"ResponseMetadata"`
}

type batchResult struct {
	Successful []batchOK     `xml:"Successful>member"`
	Failed     []batchFailed `xml:"Failed>member"`
}

type batchOK struct {
	ID        string `xml:"Id"`
	MessageID string `xml:"MessageId"`
}

type batchFailed struct {
	ID          string `xml:"Id"`
	Code        string `xml:"Code"`
	Message     string `xml:"Message"`
	SenderFault bool   `xml:"SenderFault"`
}

// writeQueryError answers as SNS's query protocol does.
func writeQueryError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	fault := "Sender"
	if status >= 500 {
		fault = "Receiver"
	}
	_, _ = fmt.Fprintf(w, `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>%s</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>publish-batch</RequestId></ErrorResponse>`,
		fault, code, xmlEscape(msg))
}

func xmlEscape(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}
