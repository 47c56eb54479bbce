//! Autopilot Device Preparation policies (beta Settings Catalog `configurationPolicies`): PUT
//! for updates (settings cannot be PATCHed), `assign` with the complete list of user groups, and
//! the enrollment-time device group set with `setEnrollmentTimeDeviceMembershipTarget`, whose
//! HTTP 200 must be checked for `validationSucceeded` (graph-api-notes §5). Also the tenant's
//! policy templates (`configurationPolicyTemplates`, with their setting templates and setting
//! definitions), which say which template and which choice values a policy must use.

use hangar_model::device_preparation::{Catalog, ChoiceOption, PolicyTemplate, SettingTemplate};
use hangar_model::well_known::device_preparation::is_published_template;
use reqwest::Method;
use serde_json::{Value, json};

use super::fields::DEVICE_PREPARATION;
use super::{Body, Collection, req_get, send_list, send_object, send_optional, send_unit, value_array};
use crate::Error;
use crate::endpoint::{ApiVersion, Endpoint};
use crate::http::GraphClient;
use crate::request::{GraphRequest, Repeat, segment};

const POLICIES: Collection = Collection {
    path: "/deviceManagement/configurationPolicies",
    version: ApiVersion::Beta,
    update: Method::PUT,
};

/// Whether a configuration policy is a Device Preparation policy: its template is one of the
/// published Device Preparation templates (any version), or one of `templates` (the tenant's
/// Device Preparation templates, when they were read). Both count, so that a policy on a
/// template the tenant no longer lists is still seen (and never created a second time).
pub fn is_device_preparation(body: &Body, templates: &[PolicyTemplate]) -> bool {
    let template = body.get("templateReference");
    let id = template
        .and_then(|t| t.get("templateId"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    is_published_template(id) || Catalog::new(templates).template(id).is_some()
}

/// `GET …/configurationPolicies` (every Settings Catalog policy; filter with
/// [`is_device_preparation`]).
pub fn list(ep: &Endpoint) -> Result<GraphRequest, Error> {
    POLICIES.list(ep)
}

/// `GET …/{id}`.
pub fn get(ep: &Endpoint, id: &str) -> Result<GraphRequest, Error> {
    POLICIES.get(ep, id)
}

/// `POST …` with `settings` inline.
pub fn create(ep: &Endpoint, body: &Body) -> Result<GraphRequest, Error> {
    POLICIES.create(ep, &DEVICE_PREPARATION, body)
}

/// `PUT …/{id}` with the whole policy, settings included.
pub fn update(ep: &Endpoint, id: &str, body: &Body) -> Result<GraphRequest, Error> {
    POLICIES.update(ep, &DEVICE_PREPARATION, id, body)
}

/// `DELETE …/{id}`.
pub fn delete(ep: &Endpoint, id: &str) -> Result<GraphRequest, Error> {
    POLICIES.delete(ep, id)
}

/// `GET …/{id}/settings`.
pub fn list_settings(ep: &Endpoint, id: &str) -> Result<GraphRequest, Error> {
    POLICIES.list_related(ep, id, "settings")
}

/// `GET …/{id}/assignments`.
pub fn list_assignments(ep: &Endpoint, id: &str) -> Result<GraphRequest, Error> {
    POLICIES.list_related(ep, id, "assignments")
}

/// `POST …/{id}/assign {"assignments": […]}`: the complete list (user groups).
pub fn assign(ep: &Endpoint, id: &str, targets: Vec<Value>) -> Result<GraphRequest, Error> {
    POLICIES.assign(ep, id, "assignments", targets)
}

/// `POST …/{id}/setEnrollmentTimeDeviceMembershipTarget` with static security groups.
pub fn set_membership_target(ep: &Endpoint, id: &str, group_ids: &[String]) -> Result<GraphRequest, Error> {
    let targets: Vec<Value> = group_ids
        .iter()
        .map(|g| json!({"targetType": "staticSecurityGroup", "targetId": g}))
        .collect();
    let body = json!({"enrollmentTimeDeviceMembershipTargets": targets});
    POLICIES.action(
        ep,
        id,
        "setEnrollmentTimeDeviceMembershipTarget",
        Some(body),
        Repeat::Safe,
    )
}

/// `POST …/{id}/retrieveEnrollmentTimeDeviceMembershipTarget` (a read).
pub fn retrieve_membership_target(ep: &Endpoint, id: &str) -> Result<GraphRequest, Error> {
    POLICIES.action(
        ep,
        id,
        "retrieveEnrollmentTimeDeviceMembershipTarget",
        None,
        Repeat::Safe,
    )
}

/// `POST …/{id}/clearEnrollmentTimeDeviceMembershipTarget`.
pub fn clear_membership_target(ep: &Endpoint, id: &str) -> Result<GraphRequest, Error> {
    POLICIES.action(
        ep,
        id,
        "clearEnrollmentTimeDeviceMembershipTarget",
        None,
        Repeat::Safe,
    )
}

const TEMPLATES: &str = "/deviceManagement/configurationPolicyTemplates";

/// `GET …/configurationPolicyTemplates?$filter=templateFamily eq 'enrollmentConfiguration'`:
/// the tenant's enrollment templates, Device Preparation's among them (beta).
pub fn list_templates(ep: &Endpoint) -> Result<GraphRequest, Error> {
    req_get(
        ep,
        ApiVersion::Beta,
        format!(
            "{TEMPLATES}?$filter=templateFamily%20eq%20'{}'",
            hangar_model::well_known::device_preparation::TEMPLATE_FAMILY
        ),
    )
}

/// `GET …/configurationPolicyTemplates/{id}/settingTemplates?$expand=settingDefinitions`: a
/// template's settings with their definitions (choice options included).
pub fn list_setting_templates(ep: &Endpoint, template_id: &str) -> Result<GraphRequest, Error> {
    req_get(
        ep,
        ApiVersion::Beta,
        format!(
            "{TEMPLATES}/{}/settingTemplates?$expand=settingDefinitions",
            segment(template_id)
        ),
    )
}

/// A template as hangar keeps it, from its list item and its setting templates (Graph's
/// shapes: `deviceManagementConfigurationPolicyTemplate`, `…SettingTemplate` with
/// `settingInstanceTemplate` and the expanded `settingDefinitions`). Lenient: a property
/// Graph leaves out reads as empty, and the planner then names what is missing.
pub fn policy_template(template: &Body, setting_templates: &[Value]) -> PolicyTemplate {
    let text = |value: Option<&Value>| value.and_then(Value::as_str).unwrap_or_default().to_owned();
    PolicyTemplate {
        id: text(template.get("id")),
        display_name: text(template.get("displayName")),
        version: template.get("version").and_then(Value::as_i64),
        lifecycle_state: template
            .get("lifecycleState")
            .and_then(Value::as_str)
            .map(str::to_owned),
        template_family: text(template.get("templateFamily")),
        settings: setting_templates.iter().filter_map(setting_template).collect(),
    }
}

fn setting_template(value: &Value) -> Option<SettingTemplate> {
    let text = |value: Option<&Value>| value.and_then(Value::as_str).map(str::to_owned);
    let instance = value.get("settingInstanceTemplate")?;
    let definition_id = text(instance.get("settingDefinitionId"))?;
    let value_template_id = ["choiceSettingValueTemplate", "simpleSettingValueTemplate"]
        .iter()
        .find_map(|key| text(instance.get(*key)?.get("settingValueTemplateId")));
    let definition = value
        .get("settingDefinitions")
        .and_then(Value::as_array)
        .and_then(|definitions| {
            definitions
                .iter()
                .find(|d| {
                    d.get("id")
                        .and_then(Value::as_str)
                        .is_some_and(|id| id.eq_ignore_ascii_case(&definition_id))
                })
                .or_else(|| definitions.first())
        });
    let options = definition
        .and_then(|d| d.get("options"))
        .and_then(Value::as_array)
        .map(|options| {
            options
                .iter()
                .filter_map(|option| {
                    Some(ChoiceOption {
                        item_id: text(option.get("itemId"))?,
                        display_name: text(option.get("displayName")).unwrap_or_default(),
                        name: text(option.get("name")),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    Some(SettingTemplate {
        instance_template_id: text(instance.get("settingInstanceTemplateId")).unwrap_or_default(),
        value_template_id,
        display_name: definition
            .and_then(|d| text(d.get("displayName")))
            .unwrap_or_default(),
        options,
        definition_id,
    })
}

/// The result object of a membership-target action: Graph documents it wrapped in `value`
/// (`{"value": {"validationSucceeded": …}}`); a bare object is accepted too.
fn membership_result(answer: &Value) -> &Value {
    match answer.get("value") {
        Some(inner @ Value::Object(_)) => inner,
        _ => answer,
    }
}

/// Group ids in a `retrieveEnrollmentTimeDeviceMembershipTarget` answer: the `targetId`s of
/// its validation statuses (or of `enrollmentTimeDeviceMembershipTargets`, or of a `value`
/// array of targets).
pub fn membership_target_ids(answer: &Value) -> Vec<String> {
    let result = membership_result(answer);
    let list = result
        .get("enrollmentTimeDeviceMembershipTargetValidationStatuses")
        .or_else(|| result.get("enrollmentTimeDeviceMembershipTargets"))
        .or_else(|| answer.get("value").filter(|v| v.is_array()))
        .and_then(Value::as_array);
    list.map(|items| {
        items
            .iter()
            .filter_map(|t| t.get("targetId").and_then(Value::as_str).map(str::to_owned))
            .collect()
    })
    .unwrap_or_default()
}

/// Checks a `setEnrollmentTimeDeviceMembershipTarget` answer: HTTP 200 even when validation
/// failed, so `validationSucceeded` decides.
pub fn check_membership_result(policy_id: &str, answer: &Body) -> Result<(), Error> {
    let answer = Value::Object(answer.clone());
    let result = membership_result(&answer);
    if result.get("validationSucceeded").and_then(Value::as_bool) == Some(true) {
        return Ok(());
    }
    let statuses = result
        .get("enrollmentTimeDeviceMembershipTargetValidationStatuses")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let pairs: Vec<(String, String)> = statuses
        .iter()
        .filter_map(|s| {
            let target = s
                .get("targetId")
                .and_then(Value::as_str)
                .unwrap_or("?")
                .to_owned();
            // A status without an error (Graph may list every target) is not a failure.
            let code = s
                .get("targetValidationErrorCode")
                .and_then(Value::as_str)
                .filter(|c| *c != "none")?;
            Some((target, code.to_owned()))
        })
        .collect();
    let text = if pairs.is_empty() {
        "`validationSucceeded` is not true".to_owned()
    } else {
        pairs
            .iter()
            .map(|(t, c)| format!("{t}: {c}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    Err(Error::MembershipTargetRejected {
        policy_id: policy_id.to_owned(),
        statuses: text,
        codes: pairs.into_iter().map(|(_, c)| c).collect(),
    })
}

/// Device Preparation policies, on a client.
#[derive(Debug, Clone, Copy)]
pub struct DevicePreparation<'c> {
    pub(crate) client: &'c GraphClient,
}

impl DevicePreparation<'_> {
    /// Every Device Preparation policy on a published template (other Settings Catalog
    /// policies are skipped).
    pub async fn list(&self) -> Result<Vec<Body>, Error> {
        let all = send_list(self.client, list(self.client.endpoint())).await?;
        Ok(all
            .into_iter()
            .filter(|body| is_device_preparation(body, &[]))
            .collect())
    }

    /// One policy; `None` if it does not exist.
    pub async fn get(&self, id: &str) -> Result<Option<Body>, Error> {
        send_optional(self.client, get(self.client.endpoint(), id)).await
    }

    /// Creates a policy (with its settings) and returns it.
    pub async fn create(&self, body: &Body) -> Result<Body, Error> {
        send_object(self.client, create(self.client.endpoint(), body)).await
    }

    /// Replaces a policy (PUT, settings included).
    pub async fn update(&self, id: &str, body: &Body) -> Result<(), Error> {
        send_unit(self.client, update(self.client.endpoint(), id, body)).await
    }

    /// Deletes a policy.
    pub async fn delete(&self, id: &str) -> Result<(), Error> {
        send_unit(self.client, delete(self.client.endpoint(), id)).await
    }

    /// The policy's settings as Graph returns them.
    pub async fn settings(&self, id: &str) -> Result<Vec<Body>, Error> {
        send_list(self.client, list_settings(self.client.endpoint(), id)).await
    }

    /// The policy's assignments.
    pub async fn assignments(&self, id: &str) -> Result<Vec<Body>, Error> {
        send_list(self.client, list_assignments(self.client.endpoint(), id)).await
    }

    /// Replaces the policy's assignments with `targets` and returns them as Graph reports them.
    pub async fn assign(&self, id: &str, targets: Vec<Value>) -> Result<Vec<Value>, Error> {
        Ok(value_array(
            send_object(self.client, assign(self.client.endpoint(), id, targets)).await?,
        ))
    }

    /// Binds the enrollment-time device group(s). A validation failure (HTTP 200 with
    /// `validationSucceeded: false`) is [`Error::MembershipTargetRejected`]; callers retry
    /// `securityGroupNotFound` after a group was just created.
    pub async fn set_membership_target(&self, id: &str, group_ids: &[String]) -> Result<(), Error> {
        let answer = send_object(
            self.client,
            set_membership_target(self.client.endpoint(), id, group_ids),
        )
        .await?;
        check_membership_result(id, &answer)
    }

    /// Group ids of the enrollment-time device group.
    pub async fn membership_target(&self, id: &str) -> Result<Vec<String>, Error> {
        let answer = send_object(
            self.client,
            retrieve_membership_target(self.client.endpoint(), id),
        )
        .await?;
        Ok(membership_target_ids(&Value::Object(answer)))
    }

    /// Removes the enrollment-time device group.
    pub async fn clear_membership_target(&self, id: &str) -> Result<(), Error> {
        send_unit(self.client, clear_membership_target(self.client.endpoint(), id)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_failure_behind_http_200_is_an_error() {
        let answer = json!({"validationSucceeded": false, "enrollmentTimeDeviceMembershipTargetValidationStatuses": [
            {"targetId": "g1", "targetValidationErrorCode": "securityGroupNotFound"}]});
        let err = check_membership_result("p1", answer.as_object().unwrap()).unwrap_err();
        assert!(err.to_string().contains("g1: securityGroupNotFound"), "{err}");
        match err {
            Error::MembershipTargetRejected { codes, .. } => assert_eq!(codes, vec!["securityGroupNotFound"]),
            other => panic!("{other:?}"),
        }
        let ok = json!({"validationSucceeded": true});
        assert!(check_membership_result("p1", ok.as_object().unwrap()).is_ok());
        assert!(
            check_membership_result("p1", &Body::new()).is_err(),
            "no verdict is no success"
        );
    }

    #[test]
    fn templates_are_read_from_graphs_shapes() {
        let template = json!({
            "id": "80d33118-b7b4-40d8-b15f-81be745e053f_1", "baseId": "80d33118-b7b4-40d8-b15f-81be745e053f",
            "version": 1, "displayName": "Device Preparation", "lifecycleState": "active",
            "templateFamily": "enrollmentConfiguration", "platforms": "windows10", "technologies": "enrollment"
        });
        let settings = vec![
            json!({
                "id": "0",
                "settingInstanceTemplate": {
                    "@odata.type": "#microsoft.graph.deviceManagementConfigurationChoiceSettingInstanceTemplate",
                    "settingDefinitionId": "enrollment_autopilot_dpp_accountype",
                    "settingInstanceTemplateId": "d4f2a840-86d5-4162-9a08-fa8cc608b94e",
                    "isRequired": true,
                    "choiceSettingValueTemplate": {"settingValueTemplateId": "bf13bb47-69ef-4e06-97c1-50c2859a49c2", "defaultValue": null}
                },
                "settingDefinitions": [{
                    "@odata.type": "#microsoft.graph.deviceManagementConfigurationChoiceSettingDefinition",
                    "id": "enrollment_autopilot_dpp_accountype", "displayName": "User account type",
                    "options": [
                        {"itemId": "enrollment_autopilot_dpp_accountype_0", "displayName": "Administrator", "name": "Administrator"},
                        {"itemId": "enrollment_autopilot_dpp_accountype_1", "displayName": "Standard User"}
                    ]
                }]
            }),
            json!({
                "id": "1",
                "settingInstanceTemplate": {
                    "@odata.type": "#microsoft.graph.deviceManagementConfigurationSimpleSettingCollectionInstanceTemplate",
                    "settingDefinitionId": "enrollment_autopilot_dpp_allowedappids",
                    "settingInstanceTemplateId": "70d22a8a-a03c-4f62-b8df-dded3e327639",
                    "simpleSettingCollectionValueTemplate": []
                },
                "settingDefinitions": []
            }),
            json!({"id": "2"}),
        ];
        let read = policy_template(template.as_object().unwrap(), &settings);
        assert_eq!(read.id, "80d33118-b7b4-40d8-b15f-81be745e053f_1");
        assert_eq!(
            (read.version, read.lifecycle_state.as_deref()),
            (Some(1), Some("active"))
        );
        assert_eq!(
            read.settings.len(),
            2,
            "a setting template without an instance template is skipped"
        );
        let account = &read.settings[0];
        assert_eq!(
            account.instance_template_id,
            "d4f2a840-86d5-4162-9a08-fa8cc608b94e"
        );
        assert_eq!(
            account.value_template_id.as_deref(),
            Some("bf13bb47-69ef-4e06-97c1-50c2859a49c2")
        );
        assert_eq!(account.display_name, "User account type");
        assert_eq!(account.options[0].name.as_deref(), Some("Administrator"));
        assert_eq!(account.options[1].display_name, "Standard User");
        assert!(read.settings[1].options.is_empty() && read.settings[1].value_template_id.is_none());
        let policy = json!({"templateReference": {"templateId": "80d33118-b7b4-40d8-b15f-81be745e053f_7"}});
        assert!(
            is_device_preparation(policy.as_object().unwrap(), &[]),
            "any version"
        );
        let custom = json!({"templateReference": {"templateId": "99999999-0000-0000-0000-000000000000_1"}});
        assert!(!is_device_preparation(custom.as_object().unwrap(), &[]));
        let mut tenant = read.clone();
        tenant.id = "99999999-0000-0000-0000-000000000000_1".into();
        tenant.settings.push(SettingTemplate {
            definition_id: "enrollment_autopilot_dpp_deploymentmode".into(),
            ..SettingTemplate::default()
        });
        assert!(
            is_device_preparation(custom.as_object().unwrap(), &[tenant]),
            "the tenant's template"
        );
        let ep = Endpoint::new(hangar_model::Cloud::GccHigh);
        let url = list_setting_templates(&ep, "80d33118_1").unwrap().url.to_string();
        assert!(
            url.starts_with("https://graph.microsoft.us/beta/deviceManagement/configurationPolicyTemplates/80d33118_1/settingTemplates")
                && url.contains("expand=settingDefinitions"),
            "{url}"
        );
        let url = list_templates(&ep).unwrap().url.to_string();
        assert!(
            url.contains("templateFamily") && url.contains("enrollmentConfiguration"),
            "{url}"
        );
    }

    #[test]
    fn retrieve_answer_shapes() {
        let a = json!({"enrollmentTimeDeviceMembershipTargets": [{"targetType": "staticSecurityGroup", "targetId": "g1"}]});
        assert_eq!(membership_target_ids(&a), vec!["g1"]);
        let b = json!({"value": [{"targetId": "g2"}]});
        assert_eq!(membership_target_ids(&b), vec!["g2"]);
        let wrapped = json!({"value": {"validationSucceeded": true, "enrollmentTimeDeviceMembershipTargetValidationStatuses": [{"targetId": "g3", "targetValidationErrorCode": "none"}]}});
        assert_eq!(membership_target_ids(&wrapped), vec!["g3"]);
        assert!(check_membership_result("p", wrapped.as_object().unwrap()).is_ok());
        assert!(membership_target_ids(&json!({})).is_empty());
    }
}
