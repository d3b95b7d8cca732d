import { describe, expect, it } from "vitest";
import { gateName, jwtName, policyNameOfObjectName, policyObjectName, shardName, waypointGateName, waypointShardName, workloadMtlsName, ztunnelJwtName, DEFAULT_DENY_NAME, STRICT_MTLS_NAME } from "./names.js";

describe("policyNameOfObjectName", () => {
  it("gives back the policy of every name a policy renders", () => {
    for (const name of [policyObjectName("to-ledger"), shardName("to-ledger", 3), jwtName("to-ledger"), gateName("to-ledger"), waypointShardName("to-ledger", 2), waypointGateName("to-ledger"), ztunnelJwtName("to-ledger")]) {
      expect(policyNameOfObjectName(name)).toBe("to-ledger");
    }
  });

  it("names no policy for the namespace baseline or a name outside the scheme", () => {
    for (const name of [DEFAULT_DENY_NAME, STRICT_MTLS_NAME, "nexus-", "ledger", "nexusledger"]) expect(policyNameOfObjectName(name)).toBeUndefined();
  });

  it("reads a workload mTLS name as the identity's (a policy of that name, if any, is looked at again and finds nothing to do)", () => {
    expect(policyNameOfObjectName(workloadMtlsName("ledger"))).toBe("ledger");
  });
});
