package aggregate

// WithoutAttributes is withoutAttributes, for the external tests.
var WithoutAttributes = withoutAttributes
