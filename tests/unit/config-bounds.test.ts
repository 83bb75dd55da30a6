import { DEV, configProblems } from "../support/config";

/**
 * The first value past each bound of every integer configuration key, on the dev stack's otherwise valid
 * config: each is refused with one problem that names the key, the bad value and the range. A bound that moves
 * by one (36 backup days, a privileged port) fails here.
 */
describe("configuration bounds", () => {
  it.each<[string, string, string]>([
    [
      "saas:azCount",
      "1",
      "expected an integer from 2 to 6 (an application load balancer and an RDS subnet group each need subnets in at least two availability zones), got 1",
    ],
    [
      "saas:azCount",
      "7",
      "expected an integer from 2 to 6 (an application load balancer and an RDS subnet group each need subnets in at least two availability zones), got 7",
    ],
    ["saas:servicePort", "1023", "expected an unprivileged port from 1024 to 65535, got 1023"],
    ["saas:servicePort", "65536", "expected an unprivileged port from 1024 to 65535, got 65536"],
    ["saas:serviceCpu", "255", "expected an integer from 256 to 16384, got 255"],
    ["saas:serviceCpu", "16385", "expected an integer from 256 to 16384, got 16385"],
    ["saas:serviceMemory", "511", "expected an integer from 512 to 122880, got 511"],
    ["saas:serviceMemory", "122881", "expected an integer from 512 to 122880, got 122881"],
    ["saas:serviceDesiredCount", "-1", "expected an integer from 0 to 100, got -1"],
    ["saas:serviceDesiredCount", "101", "expected an integer from 0 to 100, got 101"],
    ["saas:serviceMinCount", "-1", "expected an integer from 0 to 100, got -1"],
    ["saas:serviceMinCount", "101", "expected an integer from 0 to 100, got 101"],
    ["saas:serviceMaxCount", "0", "expected an integer from 1 to 100, got 0"],
    ["saas:serviceRequestsPerTarget", "-1", "expected an integer from 0 (off) to 1000000, got -1"],
    ["saas:serviceRequestsPerTarget", "1000001", "expected an integer from 0 (off) to 1000000, got 1000001"],
    ["saas:databaseTunnelPort", "-1", "expected a port from 1 to 65535, or 0 for the instance port, got -1"],
    ["saas:databaseTunnelPort", "65536", "expected a port from 1 to 65535, or 0 for the instance port, got 65536"],
    ["saas:databaseAllocatedStorageGiB", "19", "expected an integer from 20 to 65536, got 19"],
    ["saas:databaseAllocatedStorageGiB", "65537", "expected an integer from 20 to 65536, got 65537"],
    ["saas:databaseMaxAllocatedStorageGiB", "19", "expected an integer from 20 to 65536, got 19"],
    ["saas:databaseMaxAllocatedStorageGiB", "65537", "expected an integer from 20 to 65536, got 65537"],
    [
      "saas:databaseBackupRetentionDays",
      "0",
      "expected an integer from 1 to 35 (0 would turn automated backups off), got 0",
    ],
    [
      "saas:databaseBackupRetentionDays",
      "36",
      "expected an integer from 1 to 35 (0 would turn automated backups off), got 36",
    ],
    ["saas:databaseBackupReplicaRetentionDays", "0", "expected an integer from 1 to 35, got 0"],
    ["saas:databaseBackupReplicaRetentionDays", "36", "expected an integer from 1 to 35, got 36"],
    ["saas:databasePoolSize", "0", "expected an integer from 1 to 1000, got 0"],
    ["saas:databasePoolSize", "1001", "expected an integer from 1 to 1000, got 1001"],
    ["saas:databaseMigratorConnections", "0", "expected an integer from 1 to 100, got 0"],
    ["saas:databaseMigratorConnections", "101", "expected an integer from 1 to 100, got 101"],
  ])("refuses %s = %s", (key, value, message) => {
    expect(configProblems({ ...DEV, [key]: value })).toEqual([`${key}: ${message}`]);
  });

  it("refuses saas:serviceMaxCount = 101, naming the range first", () => {
    // The connection-budget rule also runs on the out-of-range count and reports the budget it would break.
    expect(configProblems({ ...DEV, "saas:serviceMaxCount": "101" })[0]).toBe(
      "saas:serviceMaxCount: expected an integer from 1 to 100, got 101",
    );
  });
});
