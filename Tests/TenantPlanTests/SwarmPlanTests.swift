import DockerAPI
import Foundation
import TenantModel
import Testing

@testable import TenantPlan

@Suite struct SwarmPlanTests {
    func settings(store: StoreChoice = .sqlite) throws -> ProviderSettings {
        var settings = ProviderSettings(id: try ProviderID("acme"), image: "tenantctl:0.1.0", gatewayPort: 6001, adminPort: 8081, store: store)
        settings.secretDigests = [.smtpPassword: "abcd1234"]
        settings.smtpRelay = SMTPRelay(url: "smtp://relay:25", user: nil, from: "ops@example.org")
        return settings
    }

    let secrets: [SecretKind: SwarmSecretHandle] = [
        .settingsKey: SwarmSecretHandle(id: "s1", name: "tc_acme_sk_00000001"),
        .smtpPassword: SwarmSecretHandle(id: "s2", name: "tc_acme_sm_abcd1234"),
    ]

    func json(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    /// The whole admin service spec of a pinned SQLite provider, as sent to the engine.
    @Test func adminServiceOfAPinnedSQLiteProvider() throws {
        let plan = SwarmPlanner.plan(try settings(), node: "node1", secrets: secrets)
        let admin = try #require(plan.service(.admin))
        let expected = """
            {
              "EndpointSpec" : {
                "Mode" : "vip",
                "Ports" : [
                  {
                    "Protocol" : "tcp",
                    "PublishMode" : "host",
                    "PublishedPort" : 8081,
                    "TargetPort" : 80
                  }
                ]
              },
              "Labels" : {
                "io.tenantctl.config-hash" : "\(admin.configHash)",
                "io.tenantctl.host-port" : "8081",
                "io.tenantctl.node" : "node1",
                "io.tenantctl.provider" : "acme",
                "io.tenantctl.role" : "admin"
              },
              "Mode" : {
                "Replicated" : {
                  "Replicas" : 1
                }
              },
              "Name" : "admin_panel_acme",
              "RollbackConfig" : {
                "Monitor" : 40000000000,
                "Order" : "stop-first",
                "Parallelism" : 1
              },
              "TaskTemplate" : {
                "ContainerSpec" : {
                  "Args" : [
                    "tenant-admin"
                  ],
                  "CapabilityDrop" : [
                    "ALL"
                  ],
                  "Env" : [
                    "TENANT_PROVIDER=acme",
                    "TENANT_STORE=sqlite:/data/acme.db",
                    "TENANT_LISTEN=0.0.0.0:80",
                    "TENANT_METRICS_LISTEN=0.0.0.0:9464",
                    "TENANT_GATEWAY_PORT=6001",
                    "TENANT_SETTINGS_KEY_FILE=/run/secrets/tenant/settings-key",
                    "TENANT_SMTP_PASSWORD_FILE=/run/secrets/tenant/smtp-password",
                    "TENANT_SMTP_URL=smtp://relay:25",
                    "TENANT_MAIL_FROM=ops@example.org"
                  ],
                  "Image" : "tenantctl:0.1.0",
                  "Labels" : {
                    "io.tenantctl.host-port" : "8081",
                    "io.tenantctl.provider" : "acme",
                    "io.tenantctl.role" : "admin",
                    "io.tenantctl.secret.settings-key" : "",
                    "io.tenantctl.secret.smtp-password" : "abcd1234"
                  },
                  "Mounts" : [
                    {
                      "ReadOnly" : false,
                      "Source" : "tenantctl_acme_data",
                      "Target" : "/data",
                      "Type" : "volume",
                      "VolumeOptions" : {
                        "Labels" : {
                          "io.tenantctl.provider" : "acme",
                          "io.tenantctl.role" : "data"
                        }
                      }
                    },
                    {
                      "Target" : "/tmp",
                      "TmpfsOptions" : {
                        "SizeBytes" : 16777216
                      },
                      "Type" : "tmpfs"
                    }
                  ],
                  "ReadOnly" : true,
                  "Secrets" : [
                    {
                      "File" : {
                        "GID" : "10001",
                        "Mode" : 256,
                        "Name" : "/run/secrets/tenant/settings-key",
                        "UID" : "10001"
                      },
                      "SecretID" : "s1",
                      "SecretName" : "tc_acme_sk_00000001"
                    },
                    {
                      "File" : {
                        "GID" : "10001",
                        "Mode" : 256,
                        "Name" : "/run/secrets/tenant/smtp-password",
                        "UID" : "10001"
                      },
                      "SecretID" : "s2",
                      "SecretName" : "tc_acme_sm_abcd1234"
                    }
                  ],
                  "StopGracePeriod" : 10000000000
                },
                "LogDriver" : {
                  "Name" : "json-file",
                  "Options" : {
                    "max-file" : "3",
                    "max-size" : "10m"
                  }
                },
                "Networks" : [
                  {
                    "Aliases" : [
                      "admin"
                    ],
                    "Target" : "tenantctl_acme"
                  }
                ],
                "Placement" : {
                  "Constraints" : [
                    "node.id==node1"
                  ]
                },
                "Resources" : {
                  "Limits" : {
                    "MemoryBytes" : 536870912,
                    "NanoCPUs" : 1000000000,
                    "Pids" : 512
                  }
                },
                "RestartPolicy" : {
                  "Condition" : "any"
                }
              },
              "UpdateConfig" : {
                "FailureAction" : "rollback",
                "Monitor" : 40000000000,
                "Order" : "stop-first",
                "Parallelism" : 1
              }
            }
            """
        #expect(try json(admin.spec) == expected)
    }

    @Test func networkIsAnAttachableOverlayWithTheChosenSubnet() throws {
        var settings = try settings()
        settings.subnet = IPv4Block(cidr: "10.200.0.16/28")
        let network = SwarmPlanner.plan(settings, node: nil, secrets: [:]).network
        #expect(network.Name == "tenantctl_acme")
        #expect(network.Driver == "overlay")
        #expect(network.Attachable == true)
        #expect(network.IPAM?.Config?.first?.Subnet == "10.200.0.16/28")
        #expect(network.Labels == ["io.tenantctl.provider": "acme", "io.tenantctl.role": "network"])
    }

    @Test func cassandraProvidersAreNotPinnedAndIngestReadsNoSecretItDoesNotNeed() throws {
        let plan = SwarmPlanner.plan(try settings(store: .cassandra([HostPort(host: "db", port: 9042)])), node: nil, secrets: secrets)
        let ingest = try #require(plan.service(.ingest))
        #expect(ingest.spec.TaskTemplate.Placement == nil)
        #expect(ingest.spec.Labels?[SwarmPlanner.Label.node] == nil)
        #expect(ingest.spec.TaskTemplate.ContainerSpec.Secrets == nil)
        #expect(ingest.spec.TaskTemplate.ContainerSpec.Mounts == [Mount(Type: "tmpfs", Source: nil, Target: "/tmp", TmpfsOptions: TmpfsOptions(SizeBytes: 16 << 20))])
        #expect(ingest.spec.EndpointSpec?.Ports == [EndpointPortConfig(TargetPort: 6000, PublishedPort: 6001, PublishMode: "host")])
    }

    @Test func ingressModeIsOnlyThePublishMode() throws {
        let host = try #require(SwarmPlanner.plan(try settings(), node: "n", secrets: secrets).service(.ingest))
        let ingress = try #require(SwarmPlanner.plan(try settings(), node: "n", secrets: secrets, publishMode: .ingress).service(.ingest))
        #expect(ingress.spec.EndpointSpec?.Ports?.first?.PublishMode == "ingress")
        var back = ingress.spec
        back.EndpointSpec?.Ports?[0].PublishMode = "host"
        back.Labels?[Labels.configHash] = host.configHash
        #expect(back == host.spec)
    }

    /// `stop` (replicas 0) and `restart` (ForceUpdate) leave the settings' hash as it was, so
    /// start-provider after them changes nothing but the replica count.
    @Test func hashIgnoresReplicasAndForceUpdate() throws {
        let service = try #require(SwarmPlanner.plan(try settings(), node: "n", secrets: secrets).service(.ingest))
        var spec = service.spec
        spec.replicas = 0
        spec.TaskTemplate.ForceUpdate = 3
        #expect(SwarmPlanner.configHash(spec) == service.configHash)
        spec.TaskTemplate.ContainerSpec.Image = "other"
        #expect(SwarmPlanner.configHash(spec) != service.configHash)
    }

    @Test func secretNamesFitTheEnginesLimitForTheLongestID() throws {
        let id = try ProviderID("a" + String(repeating: "b", count: 47))
        for kind in SecretKind.allCases {
            let name = SwarmPlanner.secretName(id, kind, version: "0123456789abcdef")
            #expect(name.count <= 64)
            #expect(name.hasSuffix("_01234567"))
        }
        #expect(SwarmPlanner.secretName(try ProviderID("acme"), .cassandraPassword, version: "deadbeef") == "tc_acme_cp_deadbeef")
    }

    @Test func leastLoadedNodeFirstTiesByName() {
        #expect(SwarmPlanner.leastLoaded([]) == nil)
        #expect(SwarmPlanner.leastLoaded([("a", "node-b", 1), ("b", "node-c", 0), ("c", "node-a", 0)]) == "c")
        #expect(SwarmPlanner.leastLoaded([("a", "node-b", 2), ("b", "node-c", 1)]) == "b")
    }
}
