package report

// Round15 exposes round15 to the tests.
var Round15 = round15
