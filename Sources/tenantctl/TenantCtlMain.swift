// The tenantctl executable: all logic lives in TenantCommands. Wiring such as a
// Cassandra KeyspaceProvisioner registration belongs here, before main().
import TenantCommands

@main
enum TenantCtlMain {
    static func main() async {
        await TenantCtl.main()
    }
}
