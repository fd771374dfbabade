/* phr serve: URL unescaping and --listen addresses (web/url.c), apart
 * from the server so that the fuzz target (tests/fuzz/fuzz_web.c) runs
 * them alone. */
#ifndef PHR_WEB_URL_H
#define PHR_WEB_URL_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "phr/error.h"

/* Decodes s in place: each %HH becomes its byte, except %00, which stays as
 * written (a NUL would cut the string: "/assets/app.css%00.png" is no
 * asset); in a query argument (a string that does not start with '/'),
 * '+' is a space as forms send it. Returns the new length; never longer. */
size_t web_unescape(char *s);
/* "HOST:PORT" (IPv4, or "localhost") or "[IPv6]:PORT", numeric, port
 * 0..65535, into *ss; *loopback when the address is 127.0.0.0/8 or ::1.
 * PHR_E_ARG naming what is wrong otherwise. */
PHR_NODISCARD int web_parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *sl, bool *loopback);

#endif
