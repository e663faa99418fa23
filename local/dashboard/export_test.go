package dashboards

// Fill is fill for the package's external tests (browser_test.go, which
// drives the page with dashboardstest, a package that imports this one).
var Fill = fill
