package benchreport

import (
	"math"
	"slices"
)

// Median is the 50th percentile of xs (NaN when empty).
func Median(xs []float64) float64 { return Percentile(xs, 50) }

// Percentile is the p-th percentile of xs by the nearest-rank method: the
// smallest value with at least p% of the values at or below it. NaN when
// xs is empty.
func Percentile(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	rank := int(math.Ceil(p / 100 * float64(len(s))))
	if rank < 1 {
		rank = 1
	}
	return s[rank-1]
}
