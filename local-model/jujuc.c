/*
 * The client half of every hook tool (and of each unit's `systemctl`, `apt-get` and `dpkg-query`): forwards
 * argv, and stdin when the tool reads it, to the model controller over its Unix socket and reproduces the
 * answer: stdout, stderr, exit code (contract §2.1).
 *
 * C, as Juju's own jujuc is a compiled (Go) binary: a hook makes a dozen tool calls or more, and a process
 * start is the cost that counts. Measured on a slow 2-core machine: Perl with only `strict` costs about 10 ms a
 * call, this under 1 ms beyond the exec itself. The controller compiles it with the machine's `cc`
 * (jujuc-build.ts) the first time a model starts after it changed.
 *
 * Request: HTTP/1.0 POST of JSON ({contextId, tool, args, stdin} or {unit, args} or {unit, command, args}).
 * Answer (daemon.ts, replyFramed): "<exit code> <stdout bytes> <stderr bytes>\n", then stdout, then stderr.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

struct buffer {
    char *data;
    size_t length;
    size_t capacity;
};

static void fail(const char *format, ...) {
    va_list args;
    va_start(args, format);
    fputs("ERROR ", stderr);
    vfprintf(stderr, format, args);
    fputc('\n', stderr);
    va_end(args);
    exit(1);
}

static void append(struct buffer *b, const char *bytes, size_t n) {
    if (b->length + n + 1 > b->capacity) {
        size_t capacity = b->capacity ? b->capacity : 4096;
        while (b->length + n + 1 > capacity) capacity *= 2;
        b->data = realloc(b->data, capacity);
        if (!b->data) fail("out of memory");
        b->capacity = capacity;
    }
    memcpy(b->data + b->length, bytes, n);
    b->length += n;
    b->data[b->length] = '\0';
}

static void append_text(struct buffer *b, const char *text) { append(b, text, strlen(text)); }

/* A JSON string of bytes: quotes, backslashes and control characters escaped; other bytes as they are (argv and
 * stdin are UTF-8 on these machines; the controller decodes the body as UTF-8, as Node's argv would). */
static void append_json_string(struct buffer *b, const char *bytes, size_t n) {
    append(b, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)bytes[i];
        if (c == '"' || c == '\\') {
            char escaped[2] = {'\\', (char)c};
            append(b, escaped, 2);
        } else if (c < 0x20) {
            char escaped[7];
            snprintf(escaped, sizeof escaped, "\\u%04x", c);
            append(b, escaped, 6);
        } else {
            append(b, (const char *)&bytes[i], 1);
        }
    }
    append(b, "\"", 1);
}

/* One `"key":"value"` member of the request's JSON object, after a comma unless it is the first. */
static void append_field(struct buffer *b, const char *key, const char *value, size_t n) {
    if (b->length > 1) append(b, ",", 1);
    append(b, "\"", 1);
    append_text(b, key);
    append(b, "\":", 2);
    append_json_string(b, value, n);
}

/* Only `--file -` (relation-set, state-set, secret-*) makes a tool read stdin; others never block on it. */
static int wants_stdin(int argc, char **argv) {
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--file=-") == 0) return 1;
        if ((strcmp(argv[i], "--file") == 0 || strcmp(argv[i], "-f") == 0) && i + 1 < argc && strcmp(argv[i + 1], "-") == 0) return 1;
    }
    return 0;
}

static void write_all(int fd, const char *bytes, size_t n, const char *unreachable) {
    while (n > 0) {
        ssize_t written = write(fd, bytes, n);
        if (written < 0) {
            if (errno == EINTR) continue;
            if (unreachable) fail("%s: %s", unreachable, strerror(errno));
            exit(1);
        }
        bytes += written;
        n -= (size_t)written;
    }
}

static const char *env_or_fail(const char *name) {
    const char *value = getenv(name);
    if (!value || !*value) fail("%s not set", name);
    return value;
}

int main(int argc, char **argv) {
    const char *invoked_as = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
    /* Hook tools are symlinks to this file, named after the tool (as Juju's are to jujuc); the machine's
     * `systemctl`, `apt-get` and `dpkg-query` run it as `jujuc systemctl|apt-get|dpkg-query <unit> [args...]`. */
    const char *mode, *name;
    char **args;
    int nargs;
    if (strcmp(invoked_as, "jujuc") == 0) {
        mode = argc > 1 ? argv[1] : NULL;
        name = argc > 2 ? argv[2] : NULL;
        args = argv + (argc > 3 ? 3 : argc);
        nargs = argc > 3 ? argc - 3 : 0;
    } else {
        mode = "tool";
        name = invoked_as;
        args = argv + 1;
        nargs = argc - 1;
    }
    struct buffer body = {0};
    const char *socket_path, *route, *unreachable;
    char unreachable_packages[128];
    append_text(&body, "{");
    if (mode && name && strcmp(mode, "tool") == 0) {
        const char *context = env_or_fail("JUJU_CONTEXT_ID");
        socket_path = env_or_fail("JUJU_AGENT_SOCKET_ADDRESS");
        route = "/tool";
        append_field(&body, "contextId", context, strlen(context));
        append_field(&body, "tool", name, strlen(name));
        if (wants_stdin(nargs, args)) {
            struct buffer input = {0};
            char chunk[65536];
            ssize_t n;
            while ((n = read(0, chunk, sizeof chunk)) != 0) {
                if (n < 0) {
                    if (errno == EINTR) continue;
                    break;
                }
                append(&input, chunk, (size_t)n);
            }
            append_field(&body, "stdin", input.data ? input.data : "", input.length);
        }
        unreachable = "cannot reach the unit agent";
    } else if (mode && name && strcmp(mode, "systemctl") == 0) {
        socket_path = env_or_fail("LOCAL_MODEL_SOCKET");
        route = "/systemctl";
        append_field(&body, "unit", name, strlen(name));
        unreachable = "Failed to connect to bus";
    } else if (mode && name && (strcmp(mode, "apt-get") == 0 || strcmp(mode, "dpkg-query") == 0)) {
        socket_path = env_or_fail("LOCAL_MODEL_SOCKET");
        route = "/packages";
        append_field(&body, "unit", name, strlen(name));
        append_field(&body, "command", mode, strlen(mode));
        snprintf(unreachable_packages, sizeof unreachable_packages, "%s: cannot reach the machine's package manager", mode);
        unreachable = unreachable_packages;
    } else {
        fail("usage: jujuc tool <name> [args...] | jujuc systemctl|apt-get|dpkg-query <unit> [args...]");
        return 1;
    }
    append_text(&body, ",\"args\":[");
    for (int i = 0; i < nargs; i++) {
        if (i > 0) append_text(&body, ",");
        append_json_string(&body, args[i], strlen(args[i]));
    }
    append_text(&body, "]}");

    struct sockaddr_un address = {.sun_family = AF_UNIX};
    if (strlen(socket_path) >= sizeof address.sun_path) fail("%s: %s", unreachable, strerror(ENAMETOOLONG));
    strcpy(address.sun_path, socket_path);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0) fail("%s: %s", unreachable, strerror(errno));
    if (connect(fd, (struct sockaddr *)&address, sizeof address) < 0) fail("%s: %s", unreachable, strerror(errno));
    char header[256];
    snprintf(header, sizeof header, "POST %s HTTP/1.0\r\nHost: local-model\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n", route,
             body.length);
    write_all(fd, header, strlen(header), unreachable);
    write_all(fd, body.data, body.length, unreachable);

    struct buffer response = {0};
    char chunk[65536];
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof chunk);
        if (n < 0) {
            if (errno == EINTR) continue;
            fail("%s: %s", unreachable, strerror(errno));
        }
        if (n == 0) break;
        append(&response, chunk, (size_t)n);
    }
    close(fd);

    if (!response.data) fail("%s: no answer", unreachable);
    char *header_end = strstr(response.data, "\r\n\r\n");
    if (!header_end) fail("%s: no answer", unreachable);
    char *line_end = strstr(response.data, "\r\n");
    *line_end = '\0';
    if (strncmp(response.data, "HTTP/1.", 7) != 0 || strlen(response.data) < 13 || strncmp(response.data + 8, " 200 ", 5) != 0) {
        fail("%s: %s", unreachable, response.data);
    }
    char *answer = header_end + 4;
    size_t answer_length = response.length - (size_t)(answer - response.data);
    /* The first line alone: scanf's whitespace would also eat stdout's leading blanks. */
    char *first_line_end = memchr(answer, '\n', answer_length);
    int code;
    size_t out_length, err_length;
    if (!first_line_end) fail("%s: malformed answer", unreachable);
    *first_line_end = '\0';
    size_t consumed = (size_t)(first_line_end - answer) + 1;
    if (sscanf(answer, "%d %zu %zu", &code, &out_length, &err_length) != 3 || consumed + out_length + err_length > answer_length) {
        fail("%s: malformed answer", unreachable);
    }
    write_all(1, answer + consumed, out_length, NULL);
    write_all(2, answer + consumed + out_length, err_length, NULL);
    return code;
}
