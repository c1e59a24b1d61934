import FoundationEssentials
import Hummingbird
import TenantAuth

/// Staff accounts: add and remove.
struct StaffController {
    let services: AdminServices

    func register(on router: some RouterMethods<AdminRequestContext>) {
        router.get("/staff") { request, context in
            Pages.page("Staff", context: context, active: "Staff", Views.staff(try await services.store.staffAccounts(), context: context, flash: Pages.flash(try request.query)))
        }
        router.post("/staff") { _, context in
            let name = try context.form.required("name")
            guard name.count <= 32, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }) else {
                throw AdminError.badRequest("a staff name is 1 to 32 letters, digits, '.', '_' or '-'")
            }
            let password = context.form["password"] ?? ""
            guard password.count >= 10 else { throw AdminError.badRequest("the password needs at least 10 characters") }
            let hash = try await services.passwords.hash(password)
            guard try await services.store.createStaff(name: name, passwordHash: hash, at: services.nowMillis) else {
                throw AdminError(.conflict, "a staff account named '\(name)' exists already")
            }
            services.logger.info("staff account added", metadata: ["staff": "\(name)", "by": "\(context.staff ?? "")"])
            return HTML.redirect("/staff?ok=Account+added")
        }
        router.post("/staff/:name/delete") { _, context in
            let name = context.parameters.get("name") ?? ""
            guard name != context.staff else { throw AdminError.badRequest("you cannot remove your own account") }
            guard try await services.store.deleteStaff(name: name) else { throw AdminError.notFound("no staff account '\(name)'") }
            services.logger.info("staff account removed", metadata: ["staff": "\(name)", "by": "\(context.staff ?? "")"])
            return HTML.redirect("/staff?ok=Account+removed")
        }
    }
}

import TenantStorage
typealias TenantStorageStaff = StaffAccount
