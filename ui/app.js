// The desktop window script.
