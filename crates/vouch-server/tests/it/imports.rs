//! Existing customers imported as advocates (CSV and JSON lines), and participants,
//! referrals and rewards exported as files a spreadsheet opens safely.

use reqwest::Response;
use serde_json::{json, Value};

use crate::both;
use crate::harness::{expect_json, expect_problem, TestApp};

both!(
    a_csv_import_reports_created_existing_and_refused_rows,
    a_malformed_file_imports_nothing,
    json_lines_import_and_taken_codes,
    exports_stream_every_row_with_formulas_neutralized
);

async fn import(app: &TestApp, program: &Value, kind: &str, body: &str) -> Response {
    app.client
        .post(app.url(&format!(
            "/api/v1/programs/{}/participants/import",
            program["id"].as_str().unwrap()
        )))
        .bearer_auth(&app.sk)
        .header("content-type", kind)
        .body(body.to_owned())
        .send()
        .await
        .unwrap()
}

async fn count(app: &TestApp, program: &Value) -> usize {
    let text = export(
        app,
        &format!(
            "/api/v1/programs/{}/participants",
            program["id"].as_str().unwrap()
        ),
        "text/csv",
    )
    .await;
    text.lines().count() - 1
}

async fn export(app: &TestApp, path: &str, accept: &str) -> String {
    let resp = app
        .client
        .get(app.url(path))
        .bearer_auth(&app.sk)
        .header("accept", accept)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let kind = resp.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(kind.starts_with(accept), "{kind}");
    assert!(resp.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment"));
    resp.text().await.unwrap()
}

async fn a_csv_import_reports_created_existing_and_refused_rows(app: TestApp) {
    let p = app.program(json!({})).await;
    app.advocate(&p, "already@example.com").await;
    let file = "email,name,locale,external_id,code\r\n\
        sara@example.com,Sara Haddad,ar,cus_1,SARA-2026\r\n\
        already@example.com,Already There,,,\r\n\
        not-an-email,Bob,,,\r\n\
        lee@example.com,\"Lee, Jr.\",en-GB,,\r\n\
        mia@example.com,Mia,fr,,\r\n\
        SARA@example.com,Sara again,,,\r\n";
    let report = expect_json(import(&app, &p, "text/csv", file).await, 200).await;
    assert_eq!(report["rows"], 6);
    assert_eq!(report["created"], 2, "{report}");
    assert_eq!(report["existing"], 2, "{report}");
    assert_eq!(report["refused"], 2, "{report}");
    let refused = report["refused_rows"].as_array().unwrap();
    assert_eq!(refused[0]["line"], 4);
    assert_eq!(refused[0]["field"], "email");
    assert_eq!(refused[1]["line"], 6);
    assert_eq!(refused[1]["field"], "locale");
    // The vanity code and locale were taken as given.
    let list = app
        .get_ok(&format!(
            "/api/v1/programs/{}/participants?limit=100",
            p["id"].as_str().unwrap()
        ))
        .await;
    let sara = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["email"] == "sara@example.com")
        .unwrap()
        .clone();
    assert_eq!(sara["referral_code"], "SARA-2026");
    assert_eq!(sara["locale"], "ar");
    assert_eq!(sara["external_id"], "cus_1");
    // The same file again changes nothing.
    let again = expect_json(import(&app, &p, "text/csv", file).await, 200).await;
    assert_eq!(again["created"], 0);
    assert_eq!(again["existing"], 4);
    assert_eq!(count(&app, &p).await, 3);
}

async fn a_malformed_file_imports_nothing(app: TestApp) {
    let p = app.program(json!({})).await;
    for (kind, file) in [
        (
            "text/csv",
            "email,name\na@example.com,A\nb@example.com,B,extra\n",
        ),
        ("text/csv", "name,locale\nA,en\n"),
        (
            "text/csv",
            "email,name\na@example.com,\"A\nb@example.com,B\n",
        ),
        (
            "application/x-ndjson",
            "{\"email\":\"a@example.com\"}\n{\"email\": \n",
        ),
    ] {
        let resp = import(&app, &p, kind, file).await;
        let problem = expect_problem(resp, 422, "validation_failed", Some("file")).await;
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains("nothing was imported"),
            "{problem}"
        );
    }
    let resp = import(&app, &p, "application/pdf", "%PDF").await;
    expect_problem(resp, 400, "unsupported_media_type", None).await;
    assert_eq!(count(&app, &p).await, 0);
}

async fn json_lines_import_and_taken_codes(app: TestApp) {
    let p = app.program(json!({})).await;
    let first = "{\"email\":\"a@example.com\",\"name\":\"A\",\"code\":\"TAKEN-1\"}\n";
    expect_json(import(&app, &p, "application/x-ndjson", first).await, 200).await;
    let file = "{\"email\":\"b@example.com\",\"referral_code\":\"TAKEN-1\"}\n\n{\"external_id\":\"crm-9\",\"name\":\"No Email\"}\n";
    let report = expect_json(import(&app, &p, "application/x-ndjson", file).await, 200).await;
    assert_eq!(report["created"], 1, "{report}");
    assert_eq!(report["refused"], 1);
    assert_eq!(report["refused_rows"][0]["line"], 1);
    assert!(report["refused_rows"][0]["reason"]
        .as_str()
        .unwrap()
        .contains("taken"));
}

async fn exports_stream_every_row_with_formulas_neutralized(app: TestApp) {
    let p = app.program(json!({})).await;
    let mut file = String::from("email,name\n");
    file.push_str("evil@example.com,\"=HYPERLINK(\"\"https://evil.example\"\",\"\"click\"\")\"\n");
    file.push_str("plus@example.com,+1 555 0100\n");
    for i in 0..1199 {
        file.push_str(&format!("person{i}@example.com,Person {i}\n"));
    }
    let report = expect_json(import(&app, &p, "text/csv", &file).await, 200).await;
    assert_eq!(report["created"], 1201);
    let path = format!(
        "/api/v1/programs/{}/participants",
        p["id"].as_str().unwrap()
    );
    let csv = export(&app, &path, "text/csv").await;
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let headers = reader.headers().unwrap().clone();
    assert_eq!(&headers[0], "id");
    let name_col = headers.iter().position(|h| h == "name").unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(
        rows.len(),
        1201,
        "more than one page of the store, all streamed"
    );
    let names: Vec<&str> = rows.iter().map(|r| &r[name_col]).collect();
    assert!(
        names.contains(&"'=HYPERLINK(\"https://evil.example\",\"click\")"),
        "{names:?}"
    );
    assert!(names.contains(&"'+1 555 0100"));
    assert!(!names
        .iter()
        .any(|n| n.starts_with('=') || n.starts_with('+')));
    // JSON lines keep values exact.
    let lines = export(&app, &path, "application/x-ndjson").await;
    let first: Value = serde_json::from_str(lines.lines().next().unwrap()).unwrap();
    assert!(first["referral_code"].is_string());
    assert_eq!(lines.lines().count(), 1201);
    // Referrals and rewards too, with the filters of their lists.
    let a = app.advocate(&p, "sara@example.com").await;
    app.event(json!({"type": "purchase", "program_id": p["id"],
        "referral_code": a["referral_code"], "customer": {"email": "f@example.com"},
        "order_id": "o1", "amount": 3000, "currency": "USD"}))
        .await;
    let referrals = export(&app, "/api/v1/referrals", "text/csv").await;
    assert_eq!(referrals.lines().count(), 2, "{referrals}");
    assert!(referrals.starts_with("id,program_id,status"));
    let rewards = export(&app, "/api/v1/rewards?status=approved", "text/csv").await;
    assert_eq!(rewards.lines().count(), 3, "advocate and friend: {rewards}");
    let none = export(&app, "/api/v1/rewards?status=reversed", "text/csv").await;
    assert_eq!(none.lines().count(), 1, "the header alone");
}
