package dashboard

// Fill is fill for the package's external tests (browser_test.go, which
// drives the page with dashboardtest, a package that imports this one).
var Fill = fill
