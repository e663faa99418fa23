package cloudwatch

import "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

// The SDK's CloudWatch client speaks Smithy RPC v2 CBOR. Its serializer
// writes every structure, list and map with indefinite length (one start
// byte, one break byte), member names as text-string keys, strings with the
// shortest length header, every double as a 9-byte float64, and timestamps as
// tag 1 plus a float64. The functions below compute that size exactly for
// the fields this package sets; TestRequestSizeMatchesTheSDK checks them
// against the body the real client sends.

// cborHead is the size of a CBOR head whose argument is n.
func cborHead(n int) int {
	switch {
	case n < 24:
		return 1
	case n < 1<<8:
		return 2
	case n < 1<<16:
		return 3
	case n < 1<<32:
		return 5
	}
	return 9
}

func cborText(s string) int { return cborHead(len(s)) + len(s) }

const (
	cborIndefinite = 2     // start byte and break byte
	cborFloat64    = 9     // major type 7 head and 8 bytes
	cborTime       = 1 + 9 // tag 1 and a float64
)

// inputSize is the size of a PutMetricDataInput with the given namespace and
// no datums; each datum adds datumSize.
func inputSize(namespace string) int {
	return cborIndefinite +
		cborText("MetricData") + cborIndefinite +
		cborText("Namespace") + cborText(namespace)
}

// datumSize is the serialized size of one datum as this package builds it.
func datumSize(d *types.MetricDatum) int {
	n := cborIndefinite
	if d.Counts != nil {
		n += cborText("Counts") + cborIndefinite + cborFloat64*len(d.Counts)
	}
	if d.Dimensions != nil {
		n += cborText("Dimensions") + cborIndefinite
		for _, dim := range d.Dimensions {
			n += cborIndefinite
			if dim.Name != nil {
				n += cborText("Name") + cborText(*dim.Name)
			}
			if dim.Value != nil {
				n += cborText("Value") + cborText(*dim.Value)
			}
		}
	}
	if d.MetricName != nil {
		n += cborText("MetricName") + cborText(*d.MetricName)
	}
	if d.Timestamp != nil {
		n += cborText("Timestamp") + cborTime
	}
	if d.Unit != "" {
		n += cborText("Unit") + cborText(string(d.Unit))
	}
	if d.Value != nil {
		n += cborText("Value") + cborFloat64
	}
	if d.Values != nil {
		n += cborText("Values") + cborIndefinite + cborFloat64*len(d.Values)
	}
	return n
}
