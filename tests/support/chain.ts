// Every test process MACs with one fixed test key, as a server does with CHAIN_KEYS, and writes no
// checkpoints unless a test gives a directory (tests/integration/chain-anchor.test.ts).
import { installChainAnchor, parseKeyring } from "../../app/server/chain/anchor.server";

export const TEST_CHAIN_KEYS = `test:${Buffer.alloc(32, 7).toString("base64")}`;

installChainAnchor({ keyring: parseKeyring(TEST_CHAIN_KEYS), checkpointDir: null });
