/* The PC/SC transport of the card client, over PCSC-lite (pcscd).
 *
 * What a card that vanishes looks like from here (measured with pcscd 1.9.9;
 * see docs/CARD.md, "PC/SC"): the APDU in flight "succeeds" with 0 response
 * bytes; for a few hundred milliseconds after, transmit fails with
 * SCARD_E_NOT_TRANSACTED; then with SCARD_W_REMOVED_CARD, and a new connect
 * with SCARD_E_NO_SMARTCARD. All of them are PHR_E_CARD_REMOVED here. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcsclite.h>
#include <winscard.h>

#include "phr/card.h"

struct phr_pcsc {
	SCARDCONTEXT ctx;
	SCARDHANDLE h;
	DWORD proto;
	bool connected, transaction;
	bool gone; /* the card went away during the session */
	char reader[PHR_PCSC_READER_MAX];
};

/* A failure that means the card is not (or no longer) there to talk to. */
static bool card_gone(LONG rv)
{
	return rv == SCARD_W_REMOVED_CARD || rv == SCARD_E_NO_SMARTCARD || rv == SCARD_E_NOT_TRANSACTED ||
	       rv == SCARD_W_RESET_CARD || rv == SCARD_W_UNPOWERED_CARD || rv == SCARD_W_UNRESPONSIVE_CARD ||
	       rv == SCARD_E_READER_UNAVAILABLE || rv == SCARD_E_NO_SERVICE || rv == SCARD_E_SERVICE_STOPPED ||
	       rv == SCARD_E_INVALID_HANDLE;
}

static int no_service(LONG rv, const char *what)
{
	if (rv == SCARD_E_NO_SERVICE || rv == SCARD_E_SERVICE_STOPPED)
		return phr_fail(PHR_E_CARD_NO_READER, "no PC/SC service: pcscd is not running (%s: %s)", what,
				pcsc_stringify_error(rv));
	if (rv == SCARD_E_NO_READERS_AVAILABLE)
		return phr_fail(PHR_E_CARD_NO_READER, "no smartcard reader is connected");
	return phr_fail(PHR_E_CARD_TRANSPORT, "%s: %s (0x%08lX)", what, pcsc_stringify_error(rv),
			(unsigned long)(DWORD)rv);
}

/* The context and the reader names (a multi-string, NUL after each name). */
static int readers(SCARDCONTEXT *ctx, char *names, DWORD *len)
{
	LONG rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, ctx);
	if (rv != SCARD_S_SUCCESS)
		return no_service(rv, "SCardEstablishContext");
	*len = PHR_PCSC_READERS_BYTES;
	rv = SCardListReaders(*ctx, NULL, names, len);
	if (rv == SCARD_E_INSUFFICIENT_BUFFER)
		rv = SCARD_E_NO_MEMORY;
	if (rv != SCARD_S_SUCCESS) {
		SCardReleaseContext(*ctx);
		return rv == SCARD_E_NO_MEMORY ? phr_fail(PHR_E_LIMIT, "reader names longer than %d bytes",
							  PHR_PCSC_READERS_BYTES)
					       : no_service(rv, "SCardListReaders");
	}
	if (*len == 0 || *len > PHR_PCSC_READERS_BYTES || names[*len - 1] != '\0') {
		SCardReleaseContext(*ctx);
		return phr_fail(PHR_E_CARD_TRANSPORT, "SCardListReaders: malformed reader list of %lu bytes",
				(unsigned long)*len);
	}
	return PHR_OK;
}

/* The state of up to cap readers of the multi-string, without a card APDU. */
static int states(SCARDCONTEXT ctx, const char *names, struct phr_pcsc_reader *out, size_t cap, size_t *n)
{
	SCARD_READERSTATE st[PHR_PCSC_MAX_READERS];
	size_t k = 0;
	*n = 0;
	for (const char *p = names; *p && k < PHR_PCSC_MAX_READERS && k < cap; p += strlen(p) + 1) {
		memset(&st[k], 0, sizeof(st[k]));
		st[k].szReader = p;
		st[k].dwCurrentState = SCARD_STATE_UNAWARE;
		k++;
	}
	if (k == 0)
		return phr_fail(PHR_E_CARD_NO_READER, "no smartcard reader is connected");
	LONG rv = SCardGetStatusChange(ctx, 0, st, (DWORD)k);
	if (rv != SCARD_S_SUCCESS && rv != SCARD_E_TIMEOUT)
		return no_service(rv, "SCardGetStatusChange");
	for (size_t i = 0; i < k; i++) {
		struct phr_pcsc_reader *r = &out[i];
		memset(r, 0, sizeof(*r));
		snprintf(r->name, sizeof(r->name), "%s", st[i].szReader);
		r->card = (st[i].dwEventState & SCARD_STATE_PRESENT) != 0;
		r->in_use = (st[i].dwEventState & SCARD_STATE_EXCLUSIVE) != 0;
		r->mute = (st[i].dwEventState & SCARD_STATE_MUTE) != 0;
		if (r->card && st[i].cbAtr <= PHR_PCSC_ATR_MAX) {
			memcpy(r->atr, st[i].rgbAtr, st[i].cbAtr);
			r->atr_len = st[i].cbAtr;
		}
	}
	*n = k;
	return PHR_OK;
}

int phr_pcsc_list(struct phr_pcsc_reader *out, size_t cap, size_t *n)
{
	SCARDCONTEXT ctx;
	char *names = malloc(PHR_PCSC_READERS_BYTES);
	DWORD len;
	int rc;
	*n = 0;
	if (!names)
		return phr_fail(PHR_E_NOMEM, "out of memory");
	if ((rc = readers(&ctx, names, &len)) == PHR_OK) {
		rc = states(ctx, names, out, cap, n);
		SCardReleaseContext(ctx);
	}
	free(names);
	return rc;
}

/* Which reader: the name given (exact, or part of exactly one name), or the
 * one reader that holds a card. */
static int choose(const struct phr_pcsc_reader *r, size_t n, const char *want, size_t *which)
{
	size_t hits = 0, cards = 0;
	if (want) {
		for (size_t i = 0; i < n; i++)
			if (!strcmp(r[i].name, want)) {
				*which = i;
				return PHR_OK;
			}
		for (size_t i = 0; i < n; i++)
			if (strstr(r[i].name, want)) {
				*which = i;
				hits++;
			}
		if (hits == 1)
			return PHR_OK;
		return phr_fail(PHR_E_CARD_NO_READER, "%s reader%s named '%s' (%zu reader%s: see 'phr card list')",
				hits ? "several" : "no", hits ? "s are" : " is", want, n, n == 1 ? "" : "s");
	}
	for (size_t i = 0; i < n; i++)
		if (r[i].card) {
			*which = i;
			cards++;
		}
	if (cards == 0)
		return n == 1 ? phr_fail(PHR_E_CARD_ABSENT, "no card in the reader '%s'", r[0].name)
			      : phr_fail(PHR_E_CARD_ABSENT, "no card in any of the %zu readers", n);
	if (cards > 1)
		return phr_fail(PHR_E_CARD, "cards in %zu readers: choose one with --reader (see 'phr card list')",
				cards);
	return PHR_OK;
}

int phr_pcsc_open(const char *reader, struct phr_pcsc **out)
{
	struct phr_pcsc_reader *list = calloc(PHR_PCSC_MAX_READERS, sizeof(*list));
	struct phr_pcsc *p = calloc(1, sizeof(*p));
	char *names = malloc(PHR_PCSC_READERS_BYTES);
	DWORD len;
	size_t n, which = 0;
	LONG rv;
	int rc;

	*out = NULL;
	if (!list || !p || !names) {
		free(list);
		free(p);
		free(names);
		return phr_fail(PHR_E_NOMEM, "out of memory");
	}
	if ((rc = readers(&p->ctx, names, &len))) {
		free(list);
		free(p);
		free(names);
		return rc;
	}
	if ((rc = states(p->ctx, names, list, PHR_PCSC_MAX_READERS, &n)) || (rc = choose(list, n, reader, &which)))
		goto fail;
	snprintf(p->reader, sizeof(p->reader), "%s", list[which].name);
	if (list[which].mute) {
		rc = phr_fail(PHR_E_CARD, "the card in '%s' does not answer (mute): take it out and put it back",
			      p->reader);
		goto fail;
	}
	/* T=1 first: extended-length APDUs are defined for it; T=0 cards still connect. */
	rv = SCardConnect(p->ctx, p->reader, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T1, &p->h, &p->proto);
	if (rv == SCARD_E_PROTO_MISMATCH)
		rv = SCardConnect(p->ctx, p->reader, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &p->h,
				  &p->proto);
	if (rv == SCARD_E_NO_SMARTCARD || rv == SCARD_W_REMOVED_CARD) {
		rc = phr_fail(PHR_E_CARD_ABSENT, "no card in the reader '%s'", p->reader);
		goto fail;
	}
	if (rv == SCARD_E_UNKNOWN_READER || rv == SCARD_E_READER_UNAVAILABLE) {
		rc = phr_fail(PHR_E_CARD_NO_READER, "the reader '%s' is gone", p->reader);
		goto fail;
	}
	if (rv == SCARD_E_SHARING_VIOLATION) {
		rc = phr_fail(PHR_E_CARD, "the card in '%s' is in exclusive use by another application", p->reader);
		goto fail;
	}
	if (rv == SCARD_W_UNRESPONSIVE_CARD || rv == SCARD_W_UNPOWERED_CARD) {
		rc = phr_fail(PHR_E_CARD, "the card in '%s' does not answer: %s", p->reader, pcsc_stringify_error(rv));
		goto fail;
	}
	if (rv != SCARD_S_SUCCESS) {
		rc = no_service(rv, "SCardConnect");
		goto fail;
	}
	p->connected = true;
	/* Another application may have reset the card in between: reconnect once. */
	for (int attempt = 0;; attempt++) {
		rv = SCardBeginTransaction(p->h);
		if (rv != SCARD_W_RESET_CARD || attempt == 1)
			break;
		rv = SCardReconnect(p->h, SCARD_SHARE_SHARED, p->proto, SCARD_LEAVE_CARD, &p->proto);
		if (rv != SCARD_S_SUCCESS)
			break;
	}
	if (rv != SCARD_S_SUCCESS) {
		rc = card_gone(rv) ? phr_fail(PHR_E_CARD_REMOVED, "card removed from '%s' (%s)", p->reader,
					      pcsc_stringify_error(rv))
				   : no_service(rv, "SCardBeginTransaction");
		goto fail;
	}
	p->transaction = true;
	free(list);
	free(names);
	*out = p;
	return PHR_OK;
fail:
	if (p->connected)
		SCardDisconnect(p->h, SCARD_LEAVE_CARD);
	SCardReleaseContext(p->ctx);
	free(list);
	free(names);
	free(p);
	return rc;
}

int phr_pcsc_transmit(void *ctx, const uint8_t *apdu, size_t n, uint8_t *resp, size_t cap, size_t *rn)
{
	struct phr_pcsc *p = ctx;
	DWORD len = cap > MAX_BUFFER_SIZE_EXTENDED ? MAX_BUFFER_SIZE_EXTENDED : (DWORD)cap;
	*rn = 0;
	if (n > MAX_BUFFER_SIZE_EXTENDED)
		return phr_fail(PHR_E_ARG, "a command of %zu bytes is beyond PC/SC's %d", n, MAX_BUFFER_SIZE_EXTENDED);
	const SCARD_IO_REQUEST *pci = p->proto == SCARD_PROTOCOL_T0 ? SCARD_PCI_T0 : SCARD_PCI_T1;
	LONG rv = SCardTransmit(p->h, pci, apdu, (DWORD)n, NULL, resp, &len);
	if (rv != SCARD_S_SUCCESS) {
		if (card_gone(rv)) {
			p->gone = true;
			return phr_fail(PHR_E_CARD_REMOVED, "card removed from '%s' during the operation (%s)", p->reader,
					pcsc_stringify_error(rv));
		}
		return phr_fail(PHR_E_CARD_TRANSPORT, "SCardTransmit: %s (0x%08lX)", pcsc_stringify_error(rv),
				(unsigned long)(DWORD)rv);
	}
	/* A card pulled out mid-APDU can give "success" and no bytes. */
	if (len < 2) {
		p->gone = true;
		return phr_fail(PHR_E_CARD_REMOVED,
				"card removed from '%s' during the operation (%lu response bytes to a command)",
				p->reader, (unsigned long)len);
	}
	if (len > cap)
		return phr_fail(PHR_E_CARD_TRANSPORT, "SCardTransmit: %lu response bytes in a buffer of %zu",
				(unsigned long)len, cap);
	*rn = len;
	return PHR_OK;
}

const char *phr_pcsc_reader(const struct phr_pcsc *p)
{
	return p->reader;
}

void phr_pcsc_close(struct phr_pcsc *p)
{
	if (!p)
		return;
	if (p->transaction)
		SCardEndTransaction(p->h, SCARD_LEAVE_CARD);
	/* A reset ends the verified PIN with the session. Not of a card that
	 * went away: pcscd 1.9.9 then marks the reader empty at once while its
	 * own poll still thinks the card is in, and never sees the next one. */
	if (p->connected)
		SCardDisconnect(p->h, p->gone ? SCARD_LEAVE_CARD : SCARD_RESET_CARD);
	SCardReleaseContext(p->ctx);
	free(p);
}
