import FoundationEssentials
import Hummingbird
import TenantAuth

/// Staff accounts: add and remove.
struct StaffController {
    let services: AdminServices

    func register(on router: some RouterMethods<AdminRequestContext>) {
        router.get("/staff") { request, context in
            try await page(context, flash: Pages.flash(try request.query), form: .fresh)
        }
        router.post("/staff") { _, context in
            try await FormPost.handle(context) {
                let name = try context.form.required("name", field: "name")
                guard name.count <= 32, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }) else {
                    throw AdminError.badRequest("a staff name is 1 to 32 letters, digits, '.', '_' or '-'", field: "name")
                }
                let password = context.form["password"] ?? ""
                guard password.count >= 10 else { throw AdminError.badRequest("the password needs at least 10 characters", field: "password") }
                let role = try await role(context.form)
                let hash = try await services.passwords.hash(password)
                try await services.nameChanges.run {
                    // Sign-in limits count names case-insensitively, and people read "Bob" and
                    // "bob" as one person: a name that differs only by case is taken.
                    if let other = try await services.store.staffAccounts().first(where: { $0.name.lowercased() == name.lowercased() }) {
                        throw AdminError(.conflict, "a staff account named '\(other.name)' exists already", field: "name")
                    }
                    guard try await services.store.createStaff(name: name, passwordHash: hash, role: role, at: services.nowMillis) else {
                        throw AdminError(.conflict, "a staff account named '\(name)' exists already", field: "name")
                    }
                }
                services.logger.info("staff account added", metadata: ["staff": "\(name)", "role": "\(role.name)", "by": "\(context.staff ?? "")"])
                return HTML.redirect("/staff?ok=Account+added")
            } rerender: { state in
                try await page(context, flash: HTML(), form: state)
            }
        }
        router.post("/staff/:name/delete") { _, context in
            let name = context.parameters.get("name") ?? ""
            guard name != context.staff else { throw AdminError.badRequest("you cannot remove your own account") }
            guard try await services.store.staffAccount(name: name) != nil else { throw AdminError.notFound("no staff account '\(name)'") }
            guard context.form["confirm"] == "yes" else {
                return Pages.page("Remove \(name)?", context: context, active: "Staff",
                                  Views.confirm(
                                      question: "Remove the staff account \(name)? Their sessions and API token end at once.",
                                      action: "/staff/\(name)/delete", button: "Remove account", cancel: "/staff", context: context))
            }
            guard try await services.store.deleteStaff(name: name) else { throw AdminError.notFound("no staff account '\(name)'") }
            services.logger.info("staff account removed", metadata: ["staff": "\(name)", "by": "\(context.staff ?? "")"])
            return HTML.redirect("/staff?ok=Account+removed")
        }
    }

    /// The role the form asks for; a customer login names an existing customer.
    func role(_ form: FormData) async throws -> StaffRole {
        switch form.text("role") ?? "admin" {
        case "admin": return .admin
        case "viewer": return .viewer
        case "customer":
            guard let text = form.text("customer"), let id = Int64(text) else {
                throw AdminError.badRequest("a customer login needs its customer", field: "customer")
            }
            guard try await services.store.customer(id: id) != nil else { throw AdminError(.notFound, "no customer \(id)", field: "customer") }
            return .customer(id)
        case let other:
            throw AdminError.badRequest("role '\(other)' is not admin, viewer or customer", field: "role")
        }
    }

    func page(_ context: AdminRequestContext, flash: HTML, form: FormState) async throws -> Response {
        let customers = try await services.store.customers()
        return Pages.page("Staff", context: context, active: "Staff",
                          Views.staff(try await services.store.staffAccounts(), customers: customers, context: context, flash: flash, form: form))
    }
}

import TenantStorage
typealias TenantStorageStaff = StaffAccount
