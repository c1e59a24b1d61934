// The tenantctl executable: all logic lives in TenantCommands; this file only wires the
// Cassandra keyspace provisioner in before main().
import TenantCommands
import TenantCtlCassandra

@main
enum TenantCtlMain {
    static func main() async {
        TenantCtlCassandra.register()
        await TenantCtl.main()
    }
}
