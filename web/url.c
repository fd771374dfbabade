/* phr serve: what is read from a URL and from --listen, and text escaped
 * for HTML and URLs (web/web_url.h, web/web.h). */
#include "web.h"
#include "web_url.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* URL unescaping: %HH decoded, except %00, which stays as written (a NUL
 * would cut the path: "/assets/app.css%00.png" is no asset); in a query
 * argument (which does not start with '/') '+' is a space, as forms send it. */
size_t web_unescape(char *s)
{
	bool arg = s[0] != '/';
	char *w = s;
	for (const char *r = s; *r; r++) {
		int hi, lo;
		if (r[0] == '%' && (hi = hexval(r[1])) >= 0 && (lo = hexval(r[2])) >= 0 && (hi || lo)) {
			*w++ = (char)(hi * 16 + lo);
			r += 2;
		} else if (arg && *r == '+') {
			*w++ = ' ';
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
	return (size_t)(w - s);
}

/* "HOST:PORT", "[V6]:PORT": a numeric address. */
int web_parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *sl, bool *loopback)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon = strrchr(s, ':');
	if (!colon || colon == s)
		return phr_fail(PHR_E_ARG, "--listen %s: expected ADDRESS:PORT (127.0.0.1:8470, [::1]:8470)", s);
	size_t hn = (size_t)(colon - s);
	if (hn >= sizeof(host))
		return phr_fail(PHR_E_ARG, "--listen %s: address too long", s);
	memcpy(host, s, hn);
	host[hn] = '\0';
	char *end;
	unsigned long port = strtoul(colon + 1, &end, 10);
	if (*end || !colon[1] || port > 65535)
		return phr_fail(PHR_E_ARG, "--listen %s: bad port", s);
	memset(ss, 0, sizeof(*ss));
	if (host[0] == '[' && hn > 2 && host[hn - 1] == ']') {
		host[hn - 1] = '\0';
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, host + 1, &a->sin6_addr) != 1)
			return phr_fail(PHR_E_ARG, "--listen %s: not an IPv6 address", s);
		*loopback = IN6_IS_ADDR_LOOPBACK(&a->sin6_addr);
		*sl = sizeof(*a);
		return PHR_OK;
	}
	struct sockaddr_in *a = (struct sockaddr_in *)ss;
	a->sin_family = AF_INET;
	a->sin_port = htons((uint16_t)port);
	if (!strcmp(host, "localhost"))
		snprintf(host, sizeof(host), "127.0.0.1");
	if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
		return phr_fail(PHR_E_ARG, "--listen %s: not an IPv4 address (or [IPv6])", s);
	*loopback = (ntohl(a->sin_addr.s_addr) >> 24) == 127;
	*sl = sizeof(*a);
	return PHR_OK;
}


/* ---- escaping (web/web.h) ---- */

void web_htmln(FILE *f, const char *s, size_t n)
{
	if (!s)
		return;
	for (size_t i = 0; i < n && s[i]; i++) {
		switch (s[i]) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default: fputc(s[i], f); break;
		}
	}
}

void web_html(FILE *f, const char *s)
{
	if (s)
		web_htmln(f, s, strlen(s));
}

void web_url(FILE *f, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~')
			fputc(c, f);
		else
			fprintf(f, "%%%c%c", hex[c >> 4], hex[c & 15]);
	}
}

