// Package api holds the JSON types of streamsql server's REST API
// (REST.md): what the server (package server) writes and its client
// (package client) reads, defined once so the two cannot drift apart.
package api
