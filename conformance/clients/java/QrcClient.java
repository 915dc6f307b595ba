// Java 17 SunPKCS11 against libqrcpkcs11.so, driven by conformance/clients/java.sh.
//
//   java QrcClient CONFIG PIN KEYTOOL_ALIAS TOOL_ALIAS
//
// CONFIG is a SunPKCS11 configuration (name, library, slot); the token holds
// KEYTOOL_ALIAS (a key pair and self-signed certificate written by keytool
// through SunPKCS11) and TOOL_ALIAS (a key pair made by pkcs11-tool and a
// certificate from OpenSSL, joined by CKA_ID). Every result computed on the
// token is checked by the JDK's software providers (SunEC, SunRsaSign,
// SunJCE), never by the token itself.
//
// Prints one line per check: "ok NAME" or "FAIL NAME: reason"; exits 1 if any
// check failed.

import java.nio.charset.StandardCharsets;
import java.security.Key;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Security;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.KeyGenerator;
import javax.crypto.SecretKey;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

public final class QrcClient {
    private static int failures = 0;

    /** A check: throws with the reason when it fails. */
    private interface Check {
        void run() throws Exception;
    }

    private static void check(String name, Check c) {
        try {
            c.run();
            System.out.println("ok " + name);
        } catch (Throwable e) {
            failures++;
            String why = e.getMessage() == null ? e.toString() : e.getClass().getSimpleName() + ": " + e.getMessage();
            System.out.println("FAIL " + name + ": " + why.replace('\n', ' '));
            // The stack goes to stderr, for debugging.
            e.printStackTrace();
        }
    }

    private static void require(boolean cond, String reason) {
        if (!cond) {
            throw new AssertionError(reason);
        }
    }

    private static Provider p11;
    private static KeyStore ks;

    public static void main(String[] args) throws Exception {
        if (args.length != 4) {
            System.err.println("usage: QrcClient CONFIG PIN KEYTOOL_ALIAS TOOL_ALIAS");
            System.exit(2);
        }
        String config = args[0];
        char[] pin = args[1].toCharArray();
        String keytoolAlias = args[2];
        String toolAlias = args[3];
        byte[] message = "qrcpkcs11 java client".getBytes(StandardCharsets.UTF_8);

        check("provider-load", () -> {
            Provider base = Security.getProvider("SunPKCS11");
            require(base != null, "no SunPKCS11 provider in this JDK");
            p11 = base.configure(config);
            require(p11.getService("Signature", "SHA256withECDSA") != null,
                    "the token offers no SHA256withECDSA");
            Security.addProvider(p11);
        });
        if (p11 == null) {
            System.exit(1);
        }

        // KeyStore.load logs in (C_Login with the PIN).
        check("keystore-login", () -> {
            ks = KeyStore.getInstance("PKCS11", p11);
            ks.load(null, pin);
        });
        if (ks == null) {
            System.exit(1);
        }

        check("keystore-aliases", () -> {
            List<String> aliases = Collections.list(ks.aliases());
            require(aliases.contains(keytoolAlias) && aliases.contains(toolAlias),
                    "aliases " + aliases + " lack " + keytoolAlias + " or " + toolAlias);
        });

        // keytool's entry: the key pair was generated and the certificate
        // signed on the token by SunPKCS11, then stored with C_CopyObject /
        // C_CreateObject; a new process finds them again.
        check("keystore-keytool-entry", () -> {
            X509Certificate cert = entryCertificate(keytoolAlias);
            cert.verify(softPublic(cert.getPublicKey()), "SunEC");
        });

        // pkcs11-tool's key with OpenSSL's certificate: found as one entry
        // because they share CKA_ID, and the certificate's key is the token's.
        check("keystore-tool-entry", () -> {
            entryCertificate(toolAlias);
        });

        check("ecdsa-sha256", () -> {
            for (String alias : new String[] {toolAlias, keytoolAlias}) {
                PrivateKey priv = (PrivateKey) ks.getKey(alias, null);
                PublicKey pub = softPublic(ks.getCertificate(alias).getPublicKey());
                Signature s = Signature.getInstance("SHA256withECDSA", p11);
                s.initSign(priv);
                s.update(message);
                byte[] sig = s.sign();
                require(softVerify("SHA256withECDSA", "SunEC", null, pub, message, sig),
                        "SunEC rejects the token's signature with key " + alias);
                byte[] other = message.clone();
                other[0] ^= 1;
                require(!softVerify("SHA256withECDSA", "SunEC", null, pub, other, sig),
                        "SunEC accepts the signature for another message");
            }
        });

        check("rsa-pss-sha256", () -> {
            KeyPairGenerator g = KeyPairGenerator.getInstance("RSA", p11);
            g.initialize(2048);
            KeyPair kp = g.generateKeyPair();
            PSSParameterSpec pss = new PSSParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256, 32, 1);
            Signature s = Signature.getInstance("RSASSA-PSS", p11);
            s.setParameter(pss);
            s.initSign(kp.getPrivate());
            s.update(message);
            byte[] sig = s.sign();
            require(sig.length == 256, "signature of " + sig.length + " bytes, expected 256");
            PublicKey pub = softPublic(kp.getPublic());
            require(softVerify("RSASSA-PSS", "SunRsaSign", pss, pub, message, sig),
                    "SunRsaSign rejects the token's RSASSA-PSS signature");
            byte[] other = message.clone();
            other[0] ^= 1;
            require(!softVerify("RSASSA-PSS", "SunRsaSign", pss, pub, other, sig),
                    "SunRsaSign accepts the signature for another message");
        });

        byte[] iv = new byte[12];
        byte[] aad = "header".getBytes(StandardCharsets.UTF_8);
        byte[] plain = new byte[100];
        new SecureRandom().nextBytes(iv);
        new SecureRandom().nextBytes(plain);

        check("aes-gcm-roundtrip", () -> {
            KeyGenerator g = KeyGenerator.getInstance("AES", p11);
            g.init(256);
            SecretKey key = g.generateKey();
            byte[] ct = gcm(p11, Cipher.ENCRYPT_MODE, key, iv, aad, plain);
            require(ct.length == plain.length + 16,
                    "ciphertext of " + ct.length + " bytes, expected " + (plain.length + 16));
            byte[] back = gcm(p11, Cipher.DECRYPT_MODE, key, iv, aad, ct);
            require(Arrays.equals(back, plain), "decryption on the token did not return the plaintext");
            byte[] bad = ct.clone();
            bad[bad.length - 1] ^= 1;
            try {
                gcm(p11, Cipher.DECRYPT_MODE, key, iv, aad, bad);
                require(false, "a changed tag was accepted");
            } catch (AEADBadTagException expected) {
                // The token refused the changed tag.
            }
        });

        // A key of known bytes imported into the token (C_CreateObject): the
        // token's ciphertext must be SunJCE's, and each decrypts the other's.
        check("aes-gcm-software", () -> {
            byte[] raw = new byte[32];
            new SecureRandom().nextBytes(raw);
            SecretKeySpec spec = new SecretKeySpec(raw, "AES");
            Key tokenKey = SecretKeyFactory.getInstance("AES", p11).translateKey(spec);
            require(tokenKey.getClass().getName().startsWith("sun.security.pkcs11."),
                    "the key was not imported into the token: " + tokenKey.getClass().getName());
            byte[] ct = gcm(p11, Cipher.ENCRYPT_MODE, tokenKey, iv, aad, plain);
            byte[] soft = gcm(Security.getProvider("SunJCE"), Cipher.ENCRYPT_MODE, spec, iv, aad, plain);
            require(Arrays.equals(ct, soft), "the token's AES-256-GCM ciphertext differs from SunJCE's");
            require(Arrays.equals(gcm(p11, Cipher.DECRYPT_MODE, tokenKey, iv, aad, soft), plain),
                    "the token does not decrypt SunJCE's ciphertext");
        });

        check("secure-random", () -> {
            SecureRandom r = SecureRandom.getInstance("PKCS11", p11);
            byte[] a = new byte[32];
            byte[] b = new byte[32];
            r.nextBytes(a);
            r.nextBytes(b);
            require(!Arrays.equals(a, new byte[32]), "32 zero bytes");
            require(!Arrays.equals(a, b), "two draws of 32 bytes are equal");
        });

        System.exit(failures == 0 ? 0 : 1);
    }

    /**
     * The certificate of a PrivateKeyEntry, whose public key must be the one
     * of the entry's private key: checked by a signature on the token verified
     * in software.
     */
    private static X509Certificate entryCertificate(String alias) throws Exception {
        require(ks.isKeyEntry(alias), "'" + alias + "' is not a key entry");
        KeyStore.Entry e = ks.getEntry(alias, null);
        require(e instanceof KeyStore.PrivateKeyEntry, "'" + alias + "' is a " + e.getClass().getSimpleName());
        KeyStore.PrivateKeyEntry pe = (KeyStore.PrivateKeyEntry) e;
        Certificate c = pe.getCertificate();
        require(c instanceof X509Certificate, "'" + alias + "' has no X.509 certificate");
        require("EC".equals(pe.getPrivateKey().getAlgorithm()),
                "'" + alias + "' key is " + pe.getPrivateKey().getAlgorithm() + ", expected EC");
        Signature s = Signature.getInstance("SHA256withECDSA", p11);
        s.initSign(pe.getPrivateKey());
        s.update(alias.getBytes(StandardCharsets.UTF_8));
        require(softVerify("SHA256withECDSA", "SunEC", null, softPublic(c.getPublicKey()),
                alias.getBytes(StandardCharsets.UTF_8), s.sign()),
                "the certificate of '" + alias + "' is not for its private key");
        return (X509Certificate) c;
    }

    /** The same public key as a software (non-PKCS#11) key object. */
    private static PublicKey softPublic(PublicKey pub) throws Exception {
        String provider = "EC".equals(pub.getAlgorithm()) ? "SunEC" : "SunRsaSign";
        return KeyFactory.getInstance(pub.getAlgorithm(), provider)
                .generatePublic(new X509EncodedKeySpec(pub.getEncoded()));
    }

    private static boolean softVerify(String alg, String provider, PSSParameterSpec params,
            PublicKey pub, byte[] data, byte[] sig) throws Exception {
        Signature v = Signature.getInstance(alg, provider);
        if (params != null) {
            v.setParameter(params);
        }
        v.initVerify(pub);
        v.update(data);
        return v.verify(sig);
    }

    private static byte[] gcm(Provider p, int mode, Key key, byte[] iv, byte[] aad, byte[] in)
            throws Exception {
        Cipher c = Cipher.getInstance("AES/GCM/NoPadding", p);
        c.init(mode, key, new GCMParameterSpec(128, iv));
        c.updateAAD(aad);
        return c.doFinal(in);
    }
}
