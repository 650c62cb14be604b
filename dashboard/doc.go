// Package dashboard is the server's web dashboard: static HTML, CSS and
// JavaScript embedded in the binary (go:embed; no CDN, no build step)
// that draw everything from the REST API in the browser: the jobs
// overview, a job's operator graph, checkpoints (a table and a chart of
// duration and size), exceptions, and a SQL editor that submits
// statements and shows a SELECT's rows live.
//
// Who calls: package server mounts Handler at "/". The assets hold no
// data, so they are served without the token; every API call the page
// makes sends it (asked once, kept in the tab's sessionStorage) as a
// bearer header.
package dashboard
