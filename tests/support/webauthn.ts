// A software authenticator (a passkey without a browser): makes "none"-attested credentials (ES256 on
// P-256 by default, or RS256 with an RSA key of a chosen size) and signs assertions, as WebAuthn
// specifies, for tests of the server's passkey checks.
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from "node:crypto";
import { isoCBOR } from "@simplewebauthn/server/helpers";

const b64url = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64url");
const sha256 = (data: Uint8Array | string) => createHash("sha256").update(data).digest();

export class SoftAuthenticator {
  readonly credentialId = randomBytes(32);
  private readonly privateKey: KeyObject;
  private readonly cose: Map<number, number | Uint8Array>;
  counter = 0;

  constructor(
    private readonly origin: string,
    private readonly rpId = new URL(origin).hostname,
    key: { algorithm: "ES256" } | { algorithm: "RS256"; bits: number } = { algorithm: "ES256" },
  ) {
    if (key.algorithm === "RS256") {
      const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: key.bits });
      const jwk = publicKey.export({ format: "jwk" }) as { n: string; e: string };
      this.privateKey = privateKey;
      this.cose = new Map<number, number | Uint8Array>([
        [1, 3], // kty: RSA
        [3, -257], // alg: RS256
        [-1, Buffer.from(jwk.n, "base64url")],
        [-2, Buffer.from(jwk.e, "base64url")],
      ]);
      return;
    }
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const jwk = publicKey.export({ format: "jwk" }) as { x: string; y: string };
    this.privateKey = privateKey;
    this.cose = new Map<number, number | Uint8Array>([
      [1, 2], // kty: EC2
      [3, -7], // alg: ES256
      [-1, 1], // crv: P-256
      [-2, Buffer.from(jwk.x, "base64url")],
      [-3, Buffer.from(jwk.y, "base64url")],
    ]);
  }

  /** The credential's public key as COSE bytes, as a server stores it. */
  publicKey(): Uint8Array {
    return isoCBOR.encode(this.cose as never);
  }

  /** The browser's RegistrationResponseJSON for the server's creation options. */
  register(options: { challenge: string }) {
    const clientDataJSON = Buffer.from(
      JSON.stringify({
        type: "webauthn.create",
        challenge: options.challenge,
        origin: this.origin,
        crossOrigin: false,
      }),
    );
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(this.credentialId.length);
    const authData = Buffer.concat([
      sha256(this.rpId),
      Buffer.from([0x45]), // user present, user verified, attested credential data
      this.counterBytes(),
      Buffer.alloc(16), // AAGUID
      idLength,
      this.credentialId,
      Buffer.from(isoCBOR.encode(this.cose)),
    ]);
    const attestationObject = isoCBOR.encode(
      new Map<string, unknown>([
        ["fmt", "none"],
        ["attStmt", new Map()],
        ["authData", authData],
      ]) as never,
    );
    return {
      id: b64url(this.credentialId),
      rawId: b64url(this.credentialId),
      type: "public-key",
      response: {
        clientDataJSON: b64url(clientDataJSON),
        attestationObject: b64url(attestationObject),
        transports: ["internal"],
      },
      clientExtensionResults: {},
    };
  }

  /** The browser's AuthenticationResponseJSON for the server's request options. */
  authenticate(options: { challenge: string }, overrides: { origin?: string; counter?: number } = {}) {
    this.counter = overrides.counter ?? this.counter + 1;
    const clientDataJSON = Buffer.from(
      JSON.stringify({
        type: "webauthn.get",
        challenge: options.challenge,
        origin: overrides.origin ?? this.origin,
        crossOrigin: false,
      }),
    );
    const authData = Buffer.concat([sha256(this.rpId), Buffer.from([0x05]), this.counterBytes()]);
    const signature = sign("sha256", Buffer.concat([authData, sha256(clientDataJSON)]), this.privateKey);
    return {
      id: b64url(this.credentialId),
      rawId: b64url(this.credentialId),
      type: "public-key",
      response: {
        clientDataJSON: b64url(clientDataJSON),
        authenticatorData: b64url(authData),
        signature: b64url(signature),
      },
      clientExtensionResults: {},
    };
  }

  private counterBytes() {
    const bytes = Buffer.alloc(4);
    bytes.writeUInt32BE(this.counter);
    return bytes;
  }
}
