/*
 * qrcpkcs11.h: vendor-defined values of the qrcpkcs11 PKCS#11 module.
 * Everything else is standard PKCS#11 3.2 (pkcs11t.h).
 *
 * Falcon (round 3, the NIST KAT algorithm) uses the values Thales Luna and
 * libp11 already use, so existing clients work unchanged. The module's own
 * values live in 0xD1520000-0xD152FFFF.
 */
#ifndef QRCPKCS11_H
#define QRCPKCS11_H

/* Falcon keys: CKA_PARAMETER_SET (or Luna's CKA_KEY_PARAMS) selects the set. */
#define CKK_FALCON               0xC0000006UL
#define CKM_FALCON_KEY_PAIR_GEN  0xC0000070UL
#define CKM_FALCON               0xC0000071UL
#define CKA_KEY_PARAMS           0xC0000001UL
#define CKP_FALCON_512           1UL
#define CKP_FALCON_1024          2UL

#endif /* QRCPKCS11_H */
