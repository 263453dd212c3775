//! `/api/docs`: a self-contained HTML reference rendered from the OpenAPI document at
//! start-up. No CDN or JavaScript bundle, so it works offline like every other page.

use utoipa::openapi::path::Operation;
use utoipa::openapi::OpenApi;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn operation(out: &mut String, method: &str, path: &str, op: &Operation) {
    let summary = op.summary.clone().unwrap_or_default();
    out.push_str(&format!(
        "<section><h3><span class=m>{method}</span> <code>{}</code></h3><p>{}</p>",
        esc(path),
        esc(&summary)
    ));
    if let Some(d) = &op.description {
        out.push_str(&format!("<p class=d>{}</p>", esc(d)));
    }
    if let Some(params) = &op.parameters {
        out.push_str("<h4>Parameters</h4><ul>");
        for p in params {
            let place = serde_json::to_value(&p.parameter_in)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            out.push_str(&format!(
                "<li><code>{}</code> ({}) {}</li>",
                esc(&p.name),
                place,
                esc(p.description.as_deref().unwrap_or(""))
            ));
        }
        out.push_str("</ul>");
    }
    if let Some(body) = &op.request_body {
        if let Some(content) = body.content.get("application/json") {
            if let Some(schema) = &content.schema {
                let name = serde_json::to_value(schema)
                    .ok()
                    .and_then(|v| v.get("$ref").and_then(|r| r.as_str()).map(str::to_owned))
                    .unwrap_or_default();
                let name = name.rsplit('/').next().unwrap_or_default();
                out.push_str(&format!(
                    "<h4>Body</h4><p><a href=\"#schema-{0}\">{0}</a></p>",
                    esc(name)
                ));
            }
        }
    }
    out.push_str("<h4>Responses</h4><ul>");
    for (status, resp) in &op.responses.responses {
        let desc = match resp {
            utoipa::openapi::RefOr::T(r) => r.description.clone(),
            utoipa::openapi::RefOr::Ref(r) => r.ref_location.clone(),
        };
        out.push_str(&format!("<li><b>{}</b> {}</li>", esc(status), esc(&desc)));
    }
    out.push_str("</ul></section>");
}

pub fn render(doc: &OpenApi) -> String {
    let mut body = String::new();
    for (path, item) in &doc.paths.paths {
        for (method, op) in [
            ("GET", &item.get),
            ("POST", &item.post),
            ("PUT", &item.put),
            ("PATCH", &item.patch),
            ("DELETE", &item.delete),
        ] {
            if let Some(op) = op {
                operation(&mut body, method, path, op);
            }
        }
    }
    let mut schemas = String::new();
    if let Some(components) = &doc.components {
        for (name, schema) in &components.schemas {
            let json = serde_json::to_string_pretty(schema).unwrap_or_default();
            schemas.push_str(&format!(
                "<section id=\"schema-{0}\"><h3>{0}</h3><pre>{1}</pre></section>",
                esc(name),
                esc(&json)
            ));
        }
    }
    let description = doc.info.description.clone().unwrap_or_default();
    format!(
        "<!doctype html><html lang=en><head><meta charset=utf-8>\
         <meta name=viewport content=\"width=device-width, initial-scale=1\">\
         <title>{title} reference</title><style>\
         body{{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:auto;padding:1rem;color:#1d2733}}\
         section{{border-top:1px solid #dde3ea;padding:.5rem 0}}\
         .m{{display:inline-block;min-width:4.5rem;font-weight:700;color:#0b6e4f}}\
         pre{{background:#f4f6f8;padding:.75rem;overflow:auto;font-size:13px}}\
         code{{background:#f4f6f8;padding:0 .25rem}}</style></head><body>\
         <h1>{title} <small>{version}</small></h1><p>{description}</p>\
         <p>Machine-readable: <a href=\"/api/openapi.json\">/api/openapi.json</a> (OpenAPI 3.1)</p>\
         <h2>Endpoints</h2>{body}<h2>Schemas</h2>{schemas}</body></html>",
        title = esc(&doc.info.title),
        version = esc(&doc.info.version),
        description = esc(&description).replace("\n\n", "</p><p>"),
    )
}
