// Package dashboard is the server's web dashboard: static HTML, CSS and
// JavaScript embedded in the binary (go:embed; no CDN, no build step)
// that draw everything from the REST API in the browser: the jobs
// overview, a job's operator graph, checkpoints (a table and a chart of
// duration and size), exceptions, a SQL editor that submits
// statements and shows a SELECT's rows live, and a Cluster page
// (GET /v1/cluster): the servers of the server's cluster with their state
// (up, unreachable, stopped), address, start, last announcement and the
// jobs each owns, a RUNNING job of a server that is not up marked as such
// (until a server that is up takes it over), and a job taken over marked
// with its owner epoch. On a clustered server the
// jobs overview has an owner column (another server's job shows "—" for
// rows, rate, checkpoint and restarts: only its owner has them); on a server without a cluster the Cluster
// page says it is not part of one. A unit of a job cut into stages shows
// its stage and the key groups or splits it reads, and every running job
// its lag (by partition on hover) and newest checkpoint as its owner last
// announced them.
//
// Who calls: package server mounts Handler at "/". The assets hold no
// data, so they are served without the token; every API call the page
// makes sends it (asked once, kept in the tab's sessionStorage) as a
// bearer header.
package dashboard
