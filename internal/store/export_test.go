package store

// DueSQLForTest lets the city-scale test explain the due-list query.
const DueSQLForTest = dueSQL
