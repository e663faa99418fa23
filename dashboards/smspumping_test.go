package dashboards

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/internal/catalog"
)

func smsPumping(t *testing.T) Alarm {
	t.Helper()
	for _, a := range Alarms() {
		if a.LogicalID == "SMSPumpingAlarm" {
			return a
		}
	}
	t.Fatal("no SMSPumpingAlarm")
	return Alarm{}
}

// smsMinutes is what the custom message trigger's EMF lines add up to per
// minute: SMSSent counts every SMS, SMSSentUnexpected (written with every
// SMS, 0 or 1) those to a country outside COGWATCH_SMS_COUNTRIES. A minute
// without SMS has no datapoint of either.
func smsMinutes(a Alarm, from time.Time, minutes int, sms func(minute int) (expected, unexpected float64)) map[string][]point {
	data := map[string][]point{}
	for i := range minutes {
		exp, unexp := sms(i)
		if exp+unexp == 0 {
			continue
		}
		at := from.Add(time.Duration(i) * time.Minute)
		for _, m := range a.Metrics {
			switch m.Name {
			case catalog.SMSSent:
				data[m.ID] = append(data[m.ID], point{t: at, v: exp + unexp})
			case catalog.SMSSentUnexpected:
				data[m.ID] = append(data[m.ID], point{t: at, v: unexp})
			}
		}
	}
	return data
}

// TestSMSPumpingAlarm feeds the SMS-pumping alarm synthetic traffic over
// two hours: it pages on a burst to an unusual country and on a
// forgot-password or resend-code SMS burst, and stays quiet on a pool's
// ordinary SMS, a busy but plausible hour and no SMS at all.
func TestSMSPumpingAlarm(t *testing.T) {
	t.Parallel()
	a := smsPumping(t)
	require.Equal(t, "SMSPumpingThreshold", a.ThresholdParameter)
	from := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	const minutes = 120
	burst := func(start, length int, during, otherwise func() (float64, float64)) func(int) (float64, float64) {
		return func(i int) (float64, float64) {
			if i >= start && i < start+length {
				return during()
			}
			return otherwise()
		}
	}
	ordinary := func() (float64, float64) { return 6, 0 } // 30 SMS in 5 minutes, all to expected countries
	tests := []struct {
		name string
		sms  func(minute int) (expected, unexpected float64)
		want bool
	}{
		{name: "ordinary traffic", sms: func(int) (float64, float64) { return 6, 0 }, want: false},
		{name: "ordinary traffic, one unexpected SMS every 20 minutes", sms: func(i int) (float64, float64) {
			if i%20 == 0 {
				return 6, 1
			}
			return 6, 0
		}, want: false},
		{name: "busy hour, expected countries", sms: func(int) (float64, float64) { return 15, 0 }, want: false}, // 75 in 5 minutes
		{name: "no SMS at all", sms: func(int) (float64, float64) { return 0, 0 }, want: false},
		{name: "burst to an unusual country", sms: burst(60, 6, func() (float64, float64) { return 6, 3 }, ordinary), want: true},
		{name: "short trickle to an unusual country", sms: burst(60, 2, func() (float64, float64) { return 6, 2 }, ordinary), want: false}, // 4 × 10 + 30 = 70
		{name: "forgot-password burst, expected countries", sms: burst(30, 10, func() (float64, float64) { return 30, 0 }, ordinary), want: true},
		{name: "resend-code burst from nothing", sms: burst(90, 5, func() (float64, float64) { return 25, 0 }, func() (float64, float64) { return 0, 0 }), want: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			data := smsMinutes(a, from, minutes, tc.sms)
			vals := periodValues(t, a, data, 0, from, from.Add(minutes*time.Minute))
			require.Equal(t, tc.want, fires(t, a, vals), "values per period: %v", vals)
		})
	}
}

// TestSMSPumpingWeighsUnexpectedCountries: one five-minute period's value is
// the SMS count plus SMSPumpingWeight times those to unexpected countries.
func TestSMSPumpingWeighsUnexpectedCountries(t *testing.T) {
	t.Parallel()
	a := smsPumping(t)
	from := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	data := smsMinutes(a, from, 5, func(int) (float64, float64) { return 4, 1 }) // 25 SMS, 5 unexpected
	vals := periodValues(t, a, data, 0, from, from.Add(5*time.Minute))
	require.Len(t, vals, 1)
	require.False(t, vals[0].missing)
	require.InDelta(t, 25+SMSPumpingWeight*5.0, vals[0].v, 1e-9)
}
