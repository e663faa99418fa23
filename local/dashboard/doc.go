// Package dashboard serves cogwatch's detail dashboard on the local stack: a
// self-contained HTML page ([LocalPage]) drawing the widgets defined in
// package dashboards from live data, and the in-memory CloudWatch it reads
// ([Store]: EMF log lines and PutMetricData calls in, CloudWatch-style
// queries out).
//
// It exists for `cogwatch local` only and is no part of any production
// binary; the dashboards that on-call reads are rendered by package
// dashboards.
package dashboard
