/* tls.c — TLS key and self-signed certificate creation, and key pins. */
#include "net/tls.h"

#include "core/merkle.h"
#include "util/fsio.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>
#include <gnutls/x509.h>
#include <sodium.h>

#define CERT_YEARS 20

static int tls_fail(struct err *e, const char *what, int rc)
{
	return err_set(e, ERR_INVALID, "TLS: %s: %s", what, gnutls_strerror(rc));
}

int tls_identity_create(const char *dir, const char *name, struct err *e)
{
	gnutls_x509_privkey_t key = NULL;
	gnutls_x509_crt_t crt = NULL;
	gnutls_datum_t kpem = { NULL, 0 }, cpem = { NULL, 0 };
	char kpath[1100], cpath[1100];
	unsigned char serial[16];
	time_t now = time(NULL);
	int rc, made_key = 0;

	if ((rc = fsio_join(kpath, sizeof(kpath), dir, TLS_KEY_FILE, e)) < 0 ||
	    (rc = fsio_join(cpath, sizeof(cpath), dir, TLS_CERT_FILE, e)) < 0)
		return rc;
	randombytes_buf(serial, sizeof(serial));
	serial[0] &= 0x7f; /* a positive integer */
	if ((rc = gnutls_x509_privkey_init(&key)) < 0 ||
	    (rc = gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA,
		      GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0)) < 0) {
		rc = tls_fail(e, "generating the key", rc);
		goto out;
	}
	if ((rc = gnutls_x509_crt_init(&crt)) < 0 ||
	    (rc = gnutls_x509_crt_set_version(crt, 3)) < 0 ||
	    (rc = gnutls_x509_crt_set_serial(crt, serial, sizeof(serial))) < 0 ||
	    (rc = gnutls_x509_crt_set_activation_time(crt, now - 3600)) < 0 ||
	    (rc = gnutls_x509_crt_set_expiration_time(crt, now + (time_t)CERT_YEARS * 365 * 86400)) < 0 ||
	    (rc = gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, name,
						(unsigned)strlen(name))) < 0 ||
	    (rc = gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME, name,
						       (unsigned)strlen(name), GNUTLS_FSAN_SET)) < 0 ||
	    (rc = gnutls_x509_crt_set_key(crt, key)) < 0 ||
	    (rc = gnutls_x509_crt_set_basic_constraints(crt, 0, -1)) < 0 ||
	    (rc = gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_DIGITAL_SIGNATURE)) < 0 ||
	    (rc = gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_SERVER, 0)) < 0 ||
	    (rc = gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_CLIENT, 0)) < 0 ||
	    (rc = gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0)) < 0) {
		rc = tls_fail(e, "making the certificate", rc);
		goto out;
	}
	if ((rc = gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM, &kpem)) < 0 ||
	    (rc = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &cpem)) < 0) {
		rc = tls_fail(e, "exporting", rc);
		goto out;
	}
	if ((rc = fsio_create(kpath, 0600, kpem.data, kpem.size, e)) < 0)
		goto out;
	made_key = 1;
	rc = fsio_create(cpath, 0644, cpem.data, cpem.size, e);
out:
	if (rc < 0 && made_key)
		unlink(kpath);
	if (kpem.data) {
		sodium_memzero(kpem.data, kpem.size);
		gnutls_free(kpem.data);
	}
	gnutls_free(cpem.data);
	gnutls_x509_crt_deinit(crt);
	gnutls_x509_privkey_deinit(key);
	return rc < 0 ? rc : 0;
}

int tls_pin_cert(const void *data, size_t len, int pem, char pin[static TLS_PIN_MAX],
		 struct err *e)
{
	gnutls_x509_crt_t crt = NULL;
	gnutls_pubkey_t pub = NULL;
	gnutls_datum_t in = { (unsigned char *)(uintptr_t)data, (unsigned)len };
	gnutls_datum_t spki = { NULL, 0 };
	uint8_t h[32];
	int rc;

	if ((rc = gnutls_x509_crt_init(&crt)) < 0 ||
	    (rc = gnutls_x509_crt_import(crt, &in, pem ? GNUTLS_X509_FMT_PEM : GNUTLS_X509_FMT_DER)) < 0 ||
	    (rc = gnutls_pubkey_init(&pub)) < 0 ||
	    (rc = gnutls_pubkey_import_x509(pub, crt, 0)) < 0 ||
	    (rc = gnutls_pubkey_export2(pub, GNUTLS_X509_FMT_DER, &spki)) < 0) {
		rc = tls_fail(e, "reading a certificate", rc);
		goto out;
	}
	merkle_sha256(h, spki.data, spki.size);
	memcpy(pin, "sha256//", 8);
	sodium_bin2base64(pin + 8, TLS_PIN_MAX - 8, h, 32, sodium_base64_VARIANT_ORIGINAL);
	rc = 0;
out:
	gnutls_free(spki.data);
	gnutls_pubkey_deinit(pub);
	gnutls_x509_crt_deinit(crt);
	return rc;
}

int tls_pin_valid(const char *s)
{
	uint8_t h[32];
	size_t n;
	const char *end;

	if (strncmp(s, "sha256//", 8) != 0 || strlen(s) != 8 + 44)
		return 0;
	for (const char *p = s + 8; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		      (*p >= '0' && *p <= '9') || *p == '+' || *p == '/' || *p == '='))
			return 0;
	return sodium_base642bin(h, sizeof(h), s + 8, 44, NULL, &n, &end,
				 sodium_base64_VARIANT_ORIGINAL) == 0 && n == 32;
}
