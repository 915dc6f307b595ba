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

/*
 * Composite ML-KEM and ML-DSA (IETF LAMPS draft-ietf-lamps-pq-composite-kem
 * and -sigs), shaped like the PKCS#11 3.3 draft's CKK_COMP_KEM / CKK_COMP_SIG
 * until 3.3 assigns values. CKA_VALUE holds the drafts' serialisations:
 * public pqPK || tradPK, private pqSeed || tradSK. CKM_QRC_COMP_KEM has no
 * parameter (C_EncapsulateKey / C_DecapsulateKey); CKM_QRC_COMP_SIG takes an
 * optional CK_SIGN_ADDITIONAL_CONTEXT (context at most 255 bytes).
 */
#define CKK_QRC_COMP_KEM                      0xD1520001UL
#define CKK_QRC_COMP_SIG                      0xD1520002UL
#define CKM_QRC_COMP_KEM_KEY_PAIR_GEN         0xD1520010UL
#define CKM_QRC_COMP_KEM                      0xD1520011UL
#define CKM_QRC_COMP_SIG_KEY_PAIR_GEN         0xD1520020UL
#define CKM_QRC_COMP_SIG                      0xD1520021UL

/* CKA_PARAMETER_SET of CKK_QRC_COMP_KEM keys. */
#define CKP_QRC_COMP_KEM_MLKEM768_X25519      0xD1520101UL /* 1.3.6.1.5.5.7.6.58 */
#define CKP_QRC_COMP_KEM_MLKEM768_ECDH_P256   0xD1520102UL /* 1.3.6.1.5.5.7.6.59 */
#define CKP_QRC_COMP_KEM_MLKEM1024_ECDH_P384  0xD1520103UL /* 1.3.6.1.5.5.7.6.63 */

/* CKA_PARAMETER_SET of CKK_QRC_COMP_SIG keys. */
#define CKP_QRC_COMP_SIG_MLDSA44_ECDSA_P256_SHA256  0xD1520201UL /* 1.3.6.1.5.5.7.6.40 */
#define CKP_QRC_COMP_SIG_MLDSA65_ED25519_SHA512     0xD1520202UL /* 1.3.6.1.5.5.7.6.48 */
#define CKP_QRC_COMP_SIG_MLDSA87_ECDSA_P384_SHA512  0xD1520203UL /* 1.3.6.1.5.5.7.6.49 */

#endif /* QRCPKCS11_H */
