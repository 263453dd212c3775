//! Integrations and their delivery log.

use std::sync::Arc;

use vouch_domain::ids::*;
use vouch_domain::integration::{IntegrationOptions, Platform, Verdict};
use vouch_store::*;

pub async fn integrations_and_their_delivery_log(store: Arc<dyn Store>) {
    let w = super::world(store.as_ref()).await;
    let mut i = Integration {
        id: IntegrationId::new(),
        workspace_id: w.ws.clone(),
        program_id: w.program.id.clone(),
        platform: Platform::Shopify,
        name: Some("Main shop".into()),
        secret_sealed: "v1:sealed".into(),
        previous_secret_sealed: None,
        previous_secret_until: None,
        options: IntegrationOptions::default(),
        enabled: true,
        created_at: 1,
        updated_at: 1,
    };
    store.insert_integration(&i).await.unwrap();
    let got = store.find_integration(&i.id).await.unwrap().unwrap();
    assert_eq!(got.platform, Platform::Shopify);
    assert_eq!(got.options, IntegrationOptions::default());
    assert_eq!(store.list_integrations(&w.ws).await.unwrap().len(), 1);
    assert!(store
        .list_integrations(&WorkspaceId::new())
        .await
        .unwrap()
        .is_empty());

    i.previous_secret_sealed = Some("v1:old".into());
    i.previous_secret_until = Some(99);
    i.enabled = false;
    i.options.purchase_statuses = vec!["completed".into()];
    assert!(store.update_integration(&i).await.unwrap());
    let got = store.find_integration(&i.id).await.unwrap().unwrap();
    assert_eq!(got.previous_secret_until, Some(99));
    assert!(!got.enabled);
    assert_eq!(got.options.purchase_statuses, vec!["completed".to_owned()]);
    let mut other = i.clone();
    other.workspace_id = WorkspaceId::new();
    assert!(
        !store.update_integration(&other).await.unwrap(),
        "another workspace's"
    );

    let delivery = |key: &str, verdict: Verdict| Delivery {
        id: DeliveryId::new(),
        integration_id: i.id.clone(),
        workspace_id: w.ws.clone(),
        delivery_key: Some(key.into()),
        topic: "orders/paid".into(),
        verdict,
        status: 200,
        reason: None,
        event_ids: vec!["evt_1".into()],
        body: "{\"id\": 1, \"name\": \"\u{0645}\"}".into(),
        received_at: 5,
    };
    store
        .insert_delivery(&delivery("a", Verdict::Failed))
        .await
        .unwrap();
    assert!(
        store.final_delivery(&i.id, "a").await.unwrap().is_none(),
        "failed is retried"
    );
    store
        .insert_delivery(&delivery("a", Verdict::Processed))
        .await
        .unwrap();
    store
        .insert_delivery(&delivery("b", Verdict::Ignored))
        .await
        .unwrap();
    let done = store.final_delivery(&i.id, "a").await.unwrap().unwrap();
    assert_eq!(done.event_ids, vec!["evt_1".to_owned()]);
    assert!(done.body.contains('\u{0645}'));
    let q = ListQuery {
        limit: 2,
        ..Default::default()
    };
    let page = store.list_deliveries(&i.id, &q).await.unwrap();
    assert_eq!(page.len(), 3, "limit + 1 rows say there is more");
    let q = ListQuery {
        limit: 10,
        status: Some("ignored".into()),
        ..Default::default()
    };
    assert_eq!(store.list_deliveries(&i.id, &q).await.unwrap().len(), 1);

    assert!(!store
        .delete_integration(&WorkspaceId::new(), &i.id)
        .await
        .unwrap());
    assert!(store.delete_integration(&w.ws, &i.id).await.unwrap());
    assert!(store.find_integration(&i.id).await.unwrap().is_none());
    let q = ListQuery {
        limit: 10,
        ..Default::default()
    };
    assert!(store.list_deliveries(&i.id, &q).await.unwrap().is_empty());
}
