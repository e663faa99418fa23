package event

import _ "embed" // for Schema

// Schema is the JSON Schema (draft 2020-12) of an event, for subscribers in
// other languages: the file schema/user-event.v3.json of this package
// (user-event.v1.json and user-event.v2.json stay for subscribers that
// validate those versions only). A
// test keeps it in step with the Go types: what Marshal writes validates,
// and what Decode refuses for its shape the schema refuses too.
//
//go:embed schema/user-event.v3.json
var Schema []byte
