/* phr serve's readers of outside text (web/url.c): URL unescaping, the
 * --listen address, and HTML escaping of whatever a page shows.
 *
 * Input: up to three parts separated by NUL bytes: a URL path or query
 * argument, a --listen value, a text to escape (a missing part is empty).
 *
 * Invariants:
 *  - web_unescape never lengthens its string, leaves no NUL inside the
 *    length it returns (%00 is kept as written), leaves a string without
 *    '%' and '+' as it was, and decodes every other %HH to its byte;
 *  - web_parse_listen is PHR_OK or PHR_E_ARG with a message; when PHR_OK
 *    the family is IPv4 or IPv6 and the port is the one written after the
 *    last ':';
 *  - web_htmln writes no raw < > " ' and no '&' that does not start one of
 *    its five entities, and the entities decoded give the text back.
 */
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "web.h"
#include "web_url.h"

#define PART_MAX 4096

static int hexval(int c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static void check_unescape(const char *in)
{
	size_t n = strlen(in);
	char *s = malloc(n + 1);
	FUZZ_CHECK(s != NULL, "out of memory");
	memcpy(s, in, n + 1);
	size_t m = web_unescape(s);
	FUZZ_CHECK(m <= n, "unescaping lengthened the string");
	FUZZ_CHECK(s[m] == '\0', "not NUL-terminated at its length");
	FUZZ_CHECK(memchr(s, '\0', m) == NULL, "a NUL inside the result");
	if (!strchr(in, '%') && !strchr(in, '+'))
		FUZZ_CHECK(m == n && !memcmp(s, in, n), "a string without % or + changed");
	/* the same decoding, written the plain way */
	size_t k = 0;
	int arg = in[0] != '/';
	for (size_t i = 0; i < n; i++) {
		int hi, lo;
		char want;
		if (in[i] == '%' && i + 2 < n + 1 && (hi = hexval((unsigned char)in[i + 1])) >= 0 &&
		    (lo = hexval((unsigned char)in[i + 2])) >= 0 && (hi || lo)) {
			want = (char)(hi * 16 + lo);
			i += 2;
		} else {
			want = arg && in[i] == '+' ? ' ' : in[i];
		}
		FUZZ_CHECK(k < m && s[k] == want, "decoded differently");
		k++;
	}
	FUZZ_CHECK(k == m, "decoded length differs");
	free(s);
}

static void check_listen(const char *in)
{
	struct sockaddr_storage ss;
	socklen_t sl = 0;
	bool loopback = false;
	phr_clear_error();
	int rc = web_parse_listen(in, &ss, &sl, &loopback);
	FUZZ_CHECK(rc == PHR_OK || rc == PHR_E_ARG, "not PHR_OK nor PHR_E_ARG");
	if (rc) {
		FUZZ_CHECK(phr_last_error()[0] != '\0', "refused without a message");
		return;
	}
	FUZZ_CHECK(ss.ss_family == AF_INET || ss.ss_family == AF_INET6, "no address family");
	const char *colon = strrchr(in, ':');
	FUZZ_CHECK(colon != NULL, "accepted without a port");
	unsigned long port = strtoul(colon + 1, NULL, 10);
	unsigned got = ss.ss_family == AF_INET ? ntohs(((struct sockaddr_in *)&ss)->sin_port)
					       : ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	FUZZ_CHECK(port == got, "port differs");
}

static void check_html(const char *in, size_t n)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	FUZZ_CHECK(f != NULL, "out of memory");
	web_htmln(f, in, n);
	FUZZ_CHECK(fclose(f) == 0, "out of memory");
	static const char *const ent[] = { "&amp;", "&lt;", "&gt;", "&quot;", "&#39;" };
	static const char raw[] = "&<>\"'";
	size_t k = 0;
	for (size_t i = 0; i < len; k++) {
		FUZZ_CHECK(!strchr("<>\"'", out[i]), "a raw special character");
		char c = out[i];
		if (c == '&') {
			size_t e = 0;
			while (e < 5 && strncmp(out + i, ent[e], strlen(ent[e])))
				e++;
			FUZZ_CHECK(e < 5, "an '&' that starts no entity");
			c = raw[e];
			i += strlen(ent[e]);
		} else {
			i++;
		}
		FUZZ_CHECK(k < n && in[k] == c, "escaped text does not decode to the input");
	}
	FUZZ_CHECK(k == strnlen(in, n), "escaped text shorter or longer than the input");
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char part[3][PART_MAX + 1];
	size_t at = 0;
	for (int p = 0; p < 3; p++) {
		size_t n = 0;
		while (at < size && data[at] != '\0' && n < PART_MAX)
			part[p][n++] = (char)data[at++];
		while (at < size && data[at] != '\0')
			at++; /* the rest of an over-long part */
		part[p][n] = '\0';
		if (at < size)
			at++;
	}
	check_unescape(part[0]);
	check_listen(part[1]);
	check_html(part[2], strlen(part[2]));
	return 0;
}
