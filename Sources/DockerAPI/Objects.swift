// Networks, volumes, images, version and errors on the Engine API wire.

/// Body of `POST /networks/create`.
public struct NetworkCreateRequest: Codable, Sendable, Hashable {
    /// Network name.
    public var Name: String
    /// Driver, `bridge` for a single host.
    public var Driver: String?
    /// Labels.
    public var Labels: [String: String]?
    /// Refuse a duplicate name (API < 1.44 allowed duplicates unless set; later engines always check).
    public var CheckDuplicate: Bool?
    /// Address management; nil lets the engine take a subnet from its default pools.
    public var IPAM: IPAMSettings?
    /// Overlay networks only: plain containers may join too (swarm), e.g. a one-shot job.
    public var Attachable: Bool?

    /// Creates a request.
    public init(
        Name: String, Driver: String? = "bridge", Labels: [String: String]? = nil, CheckDuplicate: Bool? = true, IPAM: IPAMSettings? = nil,
        Attachable: Bool? = nil
    ) {
        self.Name = Name
        self.Driver = Driver
        self.Labels = Labels
        self.CheckDuplicate = CheckDuplicate
        self.IPAM = IPAM
        self.Attachable = Attachable
    }
}

/// A network's address management (`IPAM` in network create and inspect).
public struct IPAMSettings: Codable, Sendable, Hashable {
    /// IPAM driver, `default` when nil.
    public var Driver: String?
    /// Address pools of the network.
    public var Config: [IPAMPool]?

    /// Creates settings.
    public init(Driver: String? = nil, Config: [IPAMPool]?) {
        self.Driver = Driver
        self.Config = Config
    }
}

/// One subnet of a network.
public struct IPAMPool: Codable, Sendable, Hashable {
    /// CIDR, e.g. `10.200.0.16/28`.
    public var Subnet: String?
    /// Gateway address; the engine takes the first host address when nil.
    public var Gateway: String?

    /// Creates a pool.
    public init(Subnet: String?, Gateway: String? = nil) {
        self.Subnet = Subnet
        self.Gateway = Gateway
    }
}

/// Body of `POST /networks/{id}/connect`.
/// Body of `POST /networks/{id}/disconnect`.
public struct NetworkDisconnectRequest: Codable, Sendable, Hashable {
    /// Container id or name.
    public var Container: String
    /// Disconnect even if the container is running.
    public var Force: Bool

    /// Creates a request.
    public init(Container: String, Force: Bool = true) {
        self.Container = Container
        self.Force = Force
    }
}

public struct NetworkConnectRequest: Codable, Sendable, Hashable {
    /// Container id or name.
    public var Container: String
    /// Endpoint settings (aliases) on that network.
    public var EndpointConfig: EndpointSettings?

    /// Creates a request.
    public init(Container: String, EndpointConfig: EndpointSettings? = nil) {
        self.Container = Container
        self.EndpointConfig = EndpointConfig
    }
}

/// Response of `POST /networks/create`.
public struct NetworkCreateResponse: Codable, Sendable, Hashable {
    /// The network id.
    public var Id: String

    /// Creates a value (for tests and fakes).
    public init(Id: String) {
        self.Id = Id
    }
}

/// A network from `GET /networks` or `GET /networks/{id}`.
public struct Network: Codable, Sendable, Hashable {
    /// Network id.
    public var Id: String
    /// Name.
    public var Name: String
    /// Driver.
    public var Driver: String?
    /// Labels.
    public var Labels: [String: String]?
    /// Address management: the network's subnets.
    public var IPAM: IPAMSettings?

    /// Creates a value (for tests and fakes).
    public init(Id: String, Name: String, Driver: String? = nil, Labels: [String: String]? = nil, IPAM: IPAMSettings? = nil) {
        self.Id = Id
        self.Name = Name
        self.Driver = Driver
        self.Labels = Labels
        self.IPAM = IPAM
    }

    /// The network's IPv4 and IPv6 subnets as CIDR text.
    public var subnets: [String] { IPAM?.Config?.compactMap(\.Subnet) ?? [] }
}

/// Body of `POST /volumes/create`.
public struct VolumeCreateRequest: Codable, Sendable, Hashable {
    /// Volume name.
    public var Name: String
    /// Driver, `local` by default.
    public var Driver: String?
    /// Labels.
    public var Labels: [String: String]?

    /// Creates a request.
    public init(Name: String, Driver: String? = "local", Labels: [String: String]? = nil) {
        self.Name = Name
        self.Driver = Driver
        self.Labels = Labels
    }
}

/// A volume from `GET /volumes` or `GET /volumes/{name}`.
public struct Volume: Codable, Sendable, Hashable {
    /// Name.
    public var Name: String
    /// Driver.
    public var Driver: String?
    /// Where the data lives on the host.
    public var Mountpoint: String?
    /// Labels.
    public var Labels: [String: String]?

    /// Creates a value (for tests and fakes).
    public init(Name: String, Driver: String? = nil, Mountpoint: String? = nil, Labels: [String: String]? = nil) {
        self.Name = Name
        self.Driver = Driver
        self.Mountpoint = Mountpoint
        self.Labels = Labels
    }
}

/// Response of `GET /volumes`.
public struct VolumeListResponse: Codable, Sendable, Hashable {
    /// The volumes (null when there are none on some engines).
    public var Volumes: [Volume]?

    /// Creates a value (for tests and fakes).
    public init(Volumes: [Volume]? = nil) {
        self.Volumes = Volumes
    }
}

/// Response of `GET /images/{name}/json` (the parts tenantctl reads).
public struct ImageInspect: Codable, Sendable, Hashable {
    /// Image id.
    public var Id: String
    /// Tags.
    public var RepoTags: [String]?

    /// Creates a value (for tests and fakes).
    public init(Id: String, RepoTags: [String]? = nil) {
        self.Id = Id
        self.RepoTags = RepoTags
    }
}

/// Response of `GET /version`.
public struct VersionResponse: Codable, Sendable, Hashable {
    /// Engine version (`20.10.24`).
    public var Version: String
    /// Highest API version the engine speaks.
    public var ApiVersion: String
    /// Lowest API version the engine accepts.
    public var MinAPIVersion: String?
    /// Operating system.
    public var Os: String?

    /// Creates a value (for tests and fakes).
    public init(Version: String, ApiVersion: String, MinAPIVersion: String? = nil, Os: String? = nil) {
        self.Version = Version
        self.ApiVersion = ApiVersion
        self.MinAPIVersion = MinAPIVersion
        self.Os = Os
    }
}

/// The error body of every failing Engine API call.
public struct ErrorResponse: Codable, Sendable, Hashable {
    /// The engine's reason.
    public var message: String

    /// Creates a value (for tests and fakes).
    public init(message: String) {
        self.message = message
    }
}

/// An Engine API version such as `1.41`, ordered numerically (1.9 < 1.41).
public struct APIVersion: Sendable, Hashable, Comparable, CustomStringConvertible, Codable {
    /// Major part.
    public var major: Int
    /// Minor part.
    public var minor: Int

    /// Creates a version.
    public init(_ major: Int, _ minor: Int) {
        self.major = major
        self.minor = minor
    }

    /// Parses `MAJOR.MINOR`; nil when malformed.
    public init?(_ text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let major = Int(parts[0]), let minor = Int(parts[1]) else { return nil }
        self.init(major, minor)
    }

    public static func < (lhs: APIVersion, rhs: APIVersion) -> Bool {
        (lhs.major, lhs.minor) < (rhs.major, rhs.minor)
    }

    public var description: String { "\(major).\(minor)" }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let version = APIVersion(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "bad API version \(text)"))
        }
        self = version
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
