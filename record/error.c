#include "phr/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static _Thread_local char last_msg[PHR_ERRMSG_MAX];

const char *phr_strerror(int err)
{
	switch (err) {
	case PHR_OK: return "ok";
	case PHR_E_MALFORMED: return "malformed input";
	case PHR_E_TRUNCATED: return "truncated input";
	case PHR_E_NONCANONICAL: return "non-canonical encoding";
	case PHR_E_DUPLICATE_KEY: return "duplicate map key";
	case PHR_E_TRAILING: return "trailing bytes";
	case PHR_E_JSON: return "invalid JSON";
	case PHR_E_SCHEMA: return "field does not match the record schema";
	case PHR_E_CODE_SYSTEM: return "unknown code system or malformed code";
	case PHR_E_VERSION: return "unsupported version or algorithm";
	case PHR_E_ARG: return "invalid argument";
	case PHR_E_NOT_OURS: return "not a phr code";
	case PHR_E_CHECKSUM: return "checksum mismatch";
	case PHR_E_INCOMPLETE: return "codes missing";
	case PHR_E_IMAGE: return "image cannot be read";
	case PHR_E_LIMIT: return "size limit exceeded";
	case PHR_E_NOMEM: return "out of memory";
	case PHR_E_BUFFER: return "buffer too small";
	case PHR_E_BAD_SIGNATURE: return "bad signature";
	case PHR_E_UNKNOWN_SIGNER: return "unknown signer";
	case PHR_E_REVOKED: return "revoked signer";
	case PHR_E_CERT_VALIDITY: return "certificate not valid at signing time";
	case PHR_E_CHAIN: return "chain broken";
	case PHR_E_UNTRUSTED: return "untrusted trust bundle";
	case PHR_E_PASSPHRASE: return "wrong passphrase or damaged key file";
	case PHR_E_CRYPTO: return "cryptographic library failure";
	case PHR_E_FUTURE: return "signed in the future";
	case PHR_E_SEAL_KEY: return "not the holder key of this sealed part";
	case PHR_E_SEALED: return "sealed part does not open";
	case PHR_E_NO_KEY_CODE: return "no holder key code in the picture";
	case PHR_E_SEAL_NOKEY: return "sections to seal and no holder key";
	case PHR_E_REKEYED: return "holder key replaced by re-keying";
	case PHR_E_IO: return "input/output error";
	case PHR_E_NOT_FOUND: return "not found";
	case PHR_E_CARD: return "smartcard error";
	case PHR_E_CARD_TRANSPORT: return "card transport failed";
	case PHR_E_CARD_NOT_FOUND: return "card application or file not found";
	case PHR_E_CARD_DENIED: return "card access denied";
	case PHR_E_CARD_PIN: return "wrong PIN";
	case PHR_E_CARD_BLOCKED: return "PIN blocked";
	case PHR_E_CARD_RESPONSE: return "malformed card response";
	case PHR_E_CARD_TORN: return "card slot damaged";
	case PHR_E_CARD_EMPTY: return "card holds no record";
	case PHR_E_CARD_NO_READER: return "no smartcard reader";
	case PHR_E_CARD_ABSENT: return "no card in the reader";
	case PHR_E_CARD_REMOVED: return "card removed";
	case PHR_E_CARD_NO_APP: return "no phr application on the card";
	case PHR_E_CARD_EXISTS: return "card already personalised";
	case PHR_E_DB: return "register database error";
	case PHR_E_HUB: return "the hub answered with an error";
	case PHR_E_HUB_AUTH: return "the hub refused the request's authentication";
	case PHR_E_HUB_REFUSED: return "the record's consent does not allow it";
	case PHR_E_HUB_UNREACHABLE: return "the hub could not be reached";
	case PHR_E_UNRELATED: return "the copies are not branches of one record";
	case PHR_E_NOT_FORK: return "not a fork";
	case PHR_E_MERGE: return "the branches cannot be joined";
	case PHR_E_TRUST_NOT_NEWER: return "trust bundle not newer than the one in use";
	case PHR_E_SYNC_BUSY: return "another sync round holds the register";
	case PHR_E_DB_CORRUPT: return "register database damaged";
	case PHR_E_DB_BUSY: return "register database busy";
	case PHR_E_DB_FULL: return "disk full";
	case PHR_E_DB_VERSION: return "register schema newer than this program";
	case PHR_E_NOT_STORED: return "record not in the register";
	case PHR_E_CONSENT: return "consent does not allow storing the record";
	case PHR_E_AMBIGUOUS: return "record id prefix is ambiguous";
	case PHR_E_NAME_ICU: return "name transliteration failed";
	case PHR_E_MEDIA: return "document type not accepted";
	case PHR_E_DOC_MISMATCH: return "document does not match its signed hash";
	case PHR_E_FHIR: return "not a FHIR IPS document bundle";
	case PHR_E_USER_EXISTS: return "staff account exists";
	case PHR_E_AUTH: return "wrong name or password";
	case PHR_E_HTTP: return "web server cannot start";
	case PHR_E_FORM: return "form fields not accepted";
	default: return "unknown error";
	}
}

const char *phr_last_error(void)
{
	return last_msg;
}

void phr_clear_error(void)
{
	last_msg[0] = '\0';
}

int phr_fail(int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(last_msg, sizeof(last_msg), fmt, ap);
	va_end(ap);
	return err;
}

int phr_fail_wrap(int err, const char *fmt, ...)
{
	char prefix[PHR_ERRMSG_MAX];
	char old[PHR_ERRMSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, last_msg, sizeof(old));
	int n = snprintf(last_msg, sizeof(last_msg), "%s: %s", prefix, old[0] ? old : phr_strerror(err));
	if (n < 0)
		last_msg[0] = '\0';
	return err;
}
