package goaws

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/Admiral-Piett/goaws/app"
)

// maxRequest bounds a JSON SQS request body (SQS's own limit is 256 KiB of message).
const maxRequest = 1 << 20

// jsonSQS serves AWS JSON 1.0 SQS calls (X-Amz-Target: AmazonSQS.<Op>) by
// translating them to goaws' query protocol and its XML answer back to JSON.
// Every other request (query SQS, SNS, the certificate) goes to next. goaws'
// queue URLs carry the region in their host (badURL); answers use goodURL.
func jsonSQS(next http.Handler, badURL, goodURL string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		op, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), "AmazonSQS.")
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		decode, ok := responses[op]
		if !ok {
			writeJSONError(w, http.StatusBadRequest, "UnsupportedOperation", "goaws does not support "+op)
			return
		}
		var in map[string]any
		dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxRequest))
		dec.UseNumber()
		if err := dec.Decode(&in); err != nil {
			writeJSONError(w, http.StatusBadRequest, "SerializationException", "malformed JSON request: "+err.Error())
			return
		}
		form := url.Values{"Action": {op}, "Version": {"2012-11-05"}}
		if err := toForm(form, "", in); err != nil {
			writeJSONError(w, http.StatusBadRequest, "InvalidParameterValue", err.Error())
			return
		}
		req, err := http.NewRequestWithContext(r.Context(), http.MethodPost, "/", strings.NewReader(form.Encode()))
		if err != nil {
			writeJSONError(w, http.StatusInternalServerError, "InternalFailure", err.Error())
			return
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := &recorder{header: http.Header{}, code: http.StatusOK}
		next.ServeHTTP(rec, req)
		if rec.code >= 300 {
			var er app.ErrorResponse
			if err := xml.Unmarshal(rec.body.Bytes(), &er); err != nil || er.Result.Code == "" {
				writeJSONError(w, rec.code, "InternalFailure", strings.TrimSpace(rec.body.String()))
				return
			}
			writeJSONError(w, rec.code, er.Result.Code, er.Result.Message)
			return
		}
		out, err := decode(rec.body.Bytes())
		if err != nil {
			writeJSONError(w, http.StatusInternalServerError, "InternalFailure", fmt.Sprintf("decode goaws %s answer: %v", op, err))
			return
		}
		b, err := json.Marshal(out)
		if err != nil {
			writeJSONError(w, http.StatusInternalServerError, "InternalFailure", err.Error())
			return
		}
		b = bytes.ReplaceAll(b, []byte(badURL), []byte(goodURL))
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		_, _ = w.Write(b)
	})
}

// toForm flattens a JSON SQS request into query parameters, following the
// query protocol's names: maps of attributes become Attribute.N.Name/Value,
// lists of names become AttributeName.N, batch entries become
// <Op>RequestEntry.N.<Field>.
func toForm(form url.Values, prefix string, in map[string]any) error {
	keys := make([]string, 0, len(in))
	for k := range in {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		switch v := in[k].(type) {
		case nil:
		case string:
			form.Set(prefix+k, v)
		case json.Number:
			form.Set(prefix+k, v.String())
		case bool:
			form.Set(prefix+k, fmt.Sprint(v))
		case map[string]any:
			switch k {
			case "Attributes":
				for i, name := range sortedKeys(v) {
					form.Set(fmt.Sprintf("%sAttribute.%d.Name", prefix, i+1), name)
					form.Set(fmt.Sprintf("%sAttribute.%d.Value", prefix, i+1), fmt.Sprint(v[name]))
				}
			case "MessageAttributes":
				for i, name := range sortedKeys(v) {
					p := fmt.Sprintf("%sMessageAttribute.%d.", prefix, i+1)
					form.Set(p+"Name", name)
					attr, ok := v[name].(map[string]any)
					if !ok {
						return fmt.Errorf("MessageAttributes.%s: not an object", name)
					}
					for _, f := range []string{"DataType", "StringValue", "BinaryValue"} {
						if s, ok := attr[f].(string); ok {
							form.Set(p+"Value."+f, s)
						}
					}
				}
			default:
				return fmt.Errorf("%s: unsupported object parameter", k)
			}
		case []any:
			var item string
			switch k {
			case "AttributeNames", "MessageSystemAttributeNames":
				item = "AttributeName"
			case "MessageAttributeNames":
				item = "MessageAttributeName"
			case "Entries":
				item = form.Get("Action") + "RequestEntry"
			default:
				return fmt.Errorf("%s: unsupported list parameter", k)
			}
			for i, e := range v {
				p := fmt.Sprintf("%s%s.%d", prefix, item, i+1)
				switch e := e.(type) {
				case string:
					form.Set(p, e)
				case map[string]any:
					if err := toForm(form, p+".", e); err != nil {
						return err
					}
				default:
					return fmt.Errorf("%s[%d]: unsupported entry", k, i)
				}
			}
		default:
			return fmt.Errorf("%s: unsupported parameter type %T", k, v)
		}
	}
	return nil
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

type (
	jsonMessageAttribute struct {
		DataType    string `json:"DataType"`
		StringValue string `json:"StringValue,omitempty"`
		BinaryValue string `json:"BinaryValue,omitempty"`
	}
	jsonMessage struct {
		MessageID              string                          `json:"MessageId"`
		ReceiptHandle          string                          `json:"ReceiptHandle"`
		MD5OfBody              string                          `json:"MD5OfBody"`
		Body                   string                          `json:"Body"`
		MD5OfMessageAttributes string                          `json:"MD5OfMessageAttributes,omitempty"`
		Attributes             map[string]string               `json:"Attributes,omitempty"`
		MessageAttributes      map[string]jsonMessageAttribute `json:"MessageAttributes,omitempty"`
	}
	batchFailure struct {
		ID          string `json:"Id"`
		Code        string `json:"Code"`
		Message     string `json:"Message,omitempty"`
		SenderFault bool   `json:"SenderFault"`
	}
)

func decodeInto[T any](b []byte) (T, error) {
	var v T
	err := xml.Unmarshal(b, &v)
	return v, err
}

func empty([]byte) (any, error) { return struct{}{}, nil }

func failures(errs []app.BatchResultErrorEntry) []batchFailure {
	out := make([]batchFailure, 0, len(errs))
	for _, e := range errs {
		out = append(out, batchFailure{ID: e.Id, Code: e.Code, Message: e.Message, SenderFault: e.SenderFault})
	}
	return out
}

// responses decodes goaws' XML answer to each supported operation into the
// JSON shape of the same SQS operation.
var responses = map[string]func([]byte) (any, error){
	"CreateQueue": func(b []byte) (any, error) {
		r, err := decodeInto[app.CreateQueueResponse](b)
		return map[string]string{"QueueUrl": r.Result.QueueUrl}, err
	},
	"GetQueueUrl": func(b []byte) (any, error) {
		r, err := decodeInto[app.GetQueueUrlResponse](b)
		return map[string]string{"QueueUrl": r.Result.QueueUrl}, err
	},
	"ListQueues": func(b []byte) (any, error) {
		r, err := decodeInto[app.ListQueuesResponse](b)
		return map[string][]string{"QueueUrls": r.Result.QueueUrl}, err
	},
	"GetQueueAttributes": func(b []byte) (any, error) {
		r, err := decodeInto[app.GetQueueAttributesResponse](b)
		attrs := make(map[string]string, len(r.Result.Attrs))
		for _, a := range r.Result.Attrs {
			attrs[a.Name] = a.Value
		}
		return map[string]map[string]string{"Attributes": attrs}, err
	},
	"SendMessage": func(b []byte) (any, error) {
		r, err := decodeInto[app.SendMessageResponse](b)
		out := map[string]string{"MessageId": r.Result.MessageId, "MD5OfMessageBody": r.Result.MD5OfMessageBody}
		if r.Result.MD5OfMessageAttributes != "" {
			out["MD5OfMessageAttributes"] = r.Result.MD5OfMessageAttributes
		}
		return out, err
	},
	"SendMessageBatch": func(b []byte) (any, error) {
		r, err := decodeInto[app.SendMessageBatchResponse](b)
		ok := make([]map[string]string, 0, len(r.Result.Entry))
		for _, e := range r.Result.Entry {
			m := map[string]string{"Id": e.Id, "MessageId": e.MessageId, "MD5OfMessageBody": e.MD5OfMessageBody}
			if e.MD5OfMessageAttributes != "" {
				m["MD5OfMessageAttributes"] = e.MD5OfMessageAttributes
			}
			ok = append(ok, m)
		}
		return map[string]any{"Successful": ok, "Failed": failures(r.Result.Error)}, err
	},
	"ReceiveMessage": func(b []byte) (any, error) {
		r, err := decodeInto[app.ReceiveMessageResponse](b)
		msgs := make([]jsonMessage, 0, len(r.Result.Message))
		for _, m := range r.Result.Message {
			jm := jsonMessage{
				MessageID: m.MessageId, ReceiptHandle: m.ReceiptHandle, MD5OfBody: m.MD5OfBody,
				Body: string(m.Body), MD5OfMessageAttributes: m.MD5OfMessageAttributes,
			}
			if len(m.Attributes) > 0 {
				jm.Attributes = make(map[string]string, len(m.Attributes))
				for _, a := range m.Attributes {
					jm.Attributes[a.Name] = a.Value
				}
			}
			if len(m.MessageAttributes) > 0 {
				jm.MessageAttributes = make(map[string]jsonMessageAttribute, len(m.MessageAttributes))
				for _, a := range m.MessageAttributes {
					if a.Value == nil {
						continue
					}
					jm.MessageAttributes[a.Name] = jsonMessageAttribute{
						DataType: a.Value.DataType, StringValue: a.Value.StringValue, BinaryValue: a.Value.BinaryValue,
					}
				}
			}
			msgs = append(msgs, jm)
		}
		return map[string][]jsonMessage{"Messages": msgs}, err
	},
	"DeleteMessageBatch": func(b []byte) (any, error) {
		r, err := decodeInto[app.DeleteMessageBatchResponse](b)
		ok := make([]map[string]string, 0, len(r.Result.Entry))
		for _, e := range r.Result.Entry {
			ok = append(ok, map[string]string{"Id": e.Id})
		}
		return map[string]any{"Successful": ok, "Failed": failures(r.Result.Error)}, err
	},
	"DeleteMessage":           empty,
	"SetQueueAttributes":      empty,
	"ChangeMessageVisibility": empty,
	"PurgeQueue":              empty,
	"DeleteQueue":             empty,
}

// writeJSONError answers as SQS's JSON protocol does, with the query-protocol
// code in x-amzn-query-error so the SDK's ErrorCode() matches AWS's.
func writeJSONError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.Header().Set("X-Amzn-Query-Error", code+";Sender")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": msg})
}

// recorder captures goaws' answer to one translated call.
type recorder struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) Write(b []byte) (int, error) { return r.body.Write(b) }
func (r *recorder) WriteHeader(code int)        { r.code = code }

var _ io.Writer = (*recorder)(nil)
