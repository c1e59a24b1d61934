import Hummingbird

/// What a form shows: the values as typed when a post was refused (else the stored ones),
/// and the refusal's message next to its field, or above the form when it names none.
struct FormState: Sendable {
    /// The posted values; nil shows the stored values.
    var values: FormData?
    var error: AdminError?

    static let fresh = FormState()

    /// The posted value of `name` after a refusal, else `stored`.
    func value(_ name: String, _ stored: String) -> String {
        guard let values else { return stored }
        return values[name] ?? ""
    }

    /// ` aria-invalid="true" aria-describedby="error-NAME"` on the field the error is about.
    func invalid(_ name: String) -> HTML {
        error?.field == name ? " aria-invalid=\"true\" aria-describedby=\"error-\(name)\"" : HTML()
    }

    /// The message, when it is about `name`.
    func problem(_ name: String) -> HTML {
        guard let error, error.field == name else { return HTML() }
        return "<span class=\"field-error\" id=\"error-\(name)\" role=\"alert\">\(error.message)</span>"
    }

    /// The message when it names no field of this form (`fields`), shown above the form.
    func general(fields: [String]) -> HTML {
        guard let error, error.field.map({ !fields.contains($0) }) ?? true else { return HTML() }
        return "<p class=\"error\" role=\"alert\">\(error.message)</p>"
    }

    /// A labelled text input with its hint, kept value and message.
    func input(_ name: String, _ label: String, hint: String? = nil, stored: String, attributes: HTML = HTML()) -> HTML {
        let hintHTML: HTML = hint.map { hint -> HTML in "<span>\(hint)</span>" } ?? HTML()
        return "<label>\(label) \(hintHTML)<input name=\"\(name)\" value=\"\(value(name, stored))\"\(attributes)\(invalid(name))>\(problem(name))</label>"
    }
}

/// Form posts whose input is refused show their page again (status 422) instead of a bare
/// error page: the same form with the values as typed and the message next to the field.
enum FormPost {
    static func handle(
        _ context: AdminRequestContext, _ post: () async throws -> Response,
        rerender: (FormState) async throws -> Response
    ) async throws -> Response {
        do {
            return try await post()
        } catch let error as AdminError where error.isInputProblem {
            var response = try await rerender(FormState(values: context.form, error: error))
            response.status = .unprocessableContent
            return response
        }
    }
}
