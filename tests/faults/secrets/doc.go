// Package secrets tests, through the built streamsql binary, that
// credentials stay secret and that failures are not hidden:
//
//   - the shell, driven through a pseudo-terminal with HOME in a temporary
//     directory, is typed CREATE TABLE and SET statements carrying secrets
//     in every form an option can hold one (url user info, ?password= and
//     ;password= parameters, percent-encoded passwords, a 'password'
//     option, MySQL's CONNECTION='...', a Kafka JAAS config, keys naming a
//     secret); the history file must then hold each statement with the
//     secrets masked exactly as SHOW CREATE TABLE shows them, and none of
//     the secrets;
//   - `streamsql -e` with malformed urls and other bad options: standard
//     error names the option and what is wrong, and no secret;
//   - errors at connect time (wrong password, unreachable server) and the
//     output of EXPLAIN, SHOW JOBS, SHOW FULL JOBS and SHOW CREATE TABLE hold no secret
//     (these need the MariaDB server on 127.0.0.1:3306; they fail when it
//     is not reachable and the environment variable CI is set, and skip
//     otherwise);
//   - a script whose jobs all fail prints one ERROR line per job, each
//     naming its job, and exits non-zero.
//
// Every secret in these tests contains "S3CR", so that one search finds
// any that survives.
package secrets
