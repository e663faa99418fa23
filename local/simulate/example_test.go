package simulate_test

import (
	"fmt"

	"github.com/cogwatch/cogwatch/local/simulate"
)

// The plan follows from the seed: which users have which kind of address,
// at which domain, and who types a wrong password first. Addresses differ
// between runs (the run id); nothing else does.
func ExamplePlan() {
	users, err := simulate.Plan(simulate.Options{Users: 10, Seed: 1, RunID: "doc", ClientID: "client", UserPoolID: "pool"})
	if err != nil {
		panic(err)
	}
	for _, u := range users {
		fmt.Printf("%d %-10s %-17s wrong password first: %v\n", u.Index, u.Kind, u.Domain, u.WrongPassword)
	}
	// Output:
	// 0 valid      example.org       wrong password first: false
	// 1 invalid    -example.com      wrong password first: false
	// 2 valid      example.com       wrong password first: true
	// 3 valid      example.com       wrong password first: false
	// 4 valid      example.org       wrong password first: true
	// 5 disposable 10minutemail.com  wrong password first: false
	// 6 valid      example.org       wrong password first: false
	// 7 disposable 10minutemail.com  wrong password first: true
	// 8 valid      example.com       wrong password first: false
	// 9 valid      example.net       wrong password first: false
}
