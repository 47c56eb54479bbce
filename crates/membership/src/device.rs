//! [`KnownDevice`]: a device hangar knows about offline, as Entra will see it once registered.

use crate::eval::DeviceAttributes;

/// A registered Autopilot device as its Entra device object looks to a dynamic rule.
///
/// Registering a device with Windows Autopilot creates an Entra device object whose
/// `devicePhysicalIds` carry the registration (Microsoft Intune docs, "Create device groups for
/// Windows Autopilot", `memdocs/autopilot/enrollment-autopilot.md`, and the Entra rule docs'
/// device table):
///
/// - `[ZTDID]:<id>` on every Autopilot device, which is what "all Autopilot devices" rules test
///   (`-any (_ -startsWith "[ZTDID]")`);
/// - `[OrderId]:<group tag>` when the device has a group tag (Intune's group tag *is* the
///   Entra `OrderID`);
/// - `[PurchaseOrderId]:<purchase order>` when the device has a purchase order id.
///
/// The prefixes are written as device objects seen in the field carry them (`[ZTDID]`,
/// `[OrderId]`), which differs in case from Microsoft's rule examples (`[ZTDId]`, `[OrderID]`);
/// rule comparisons are case-insensitive, so both match. The ZTD id is assigned by the
/// Autopilot service and is unknown offline: unless [`with_ztd_id`](Self::with_ztd_id) sets it,
/// hangar uses `unregistered-<serial>`, which satisfies prefix tests but no rule pinned to a real
/// id. Other properties (display name, OS type, …) are whatever the caller sets; nothing is
/// guessed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KnownDevice {
    serial: String,
    group_tag: Option<String>,
    purchase_order: Option<String>,
    ztd_id: Option<String>,
    properties: Vec<(String, String)>,
    physical_ids: Vec<String>,
}

impl KnownDevice {
    /// A registered device with this serial number and no group tag.
    pub fn new(serial: impl Into<String>) -> Self {
        let mut device = KnownDevice {
            serial: serial.into(),
            group_tag: None,
            purchase_order: None,
            ztd_id: None,
            properties: Vec::new(),
            physical_ids: Vec::new(),
        };
        device.rebuild_physical_ids();
        device
    }

    /// Sets the group tag (`[OrderId]:<tag>`). An empty tag means none, as in the Autopilot CSV.
    pub fn with_group_tag(mut self, tag: impl Into<String>) -> Self {
        let tag = tag.into();
        self.group_tag = (!tag.is_empty()).then_some(tag);
        self.rebuild_physical_ids();
        self
    }

    /// Sets the purchase order id (`[PurchaseOrderId]:<id>`). Empty means none.
    pub fn with_purchase_order(mut self, purchase_order: impl Into<String>) -> Self {
        let purchase_order = purchase_order.into();
        self.purchase_order = (!purchase_order.is_empty()).then_some(purchase_order);
        self.rebuild_physical_ids();
        self
    }

    /// Sets the ZTD id Autopilot assigned (`[ZTDID]:<id>`), when known from the tenant.
    pub fn with_ztd_id(mut self, ztd_id: impl Into<String>) -> Self {
        self.ztd_id = Some(ztd_id.into());
        self.rebuild_physical_ids();
        self
    }

    /// Sets a single-valued property by its canonical name (see
    /// [`property_names`](crate::property_names)), e.g. `("displayName", "ENG-5CG1234")` or
    /// `("accountEnabled", "true")`. Setting a name again replaces the value.
    pub fn with_property(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        let name = name.into();
        let value = value.into();
        match self.properties.iter_mut().find(|(n, _)| *n == name) {
            Some(slot) => slot.1 = value,
            None => self.properties.push((name, value)),
        }
        self
    }

    /// Sets `displayName`.
    pub fn with_display_name(self, name: impl Into<String>) -> Self {
        self.with_property("displayName", name)
    }

    /// The serial number.
    pub fn serial(&self) -> &str {
        &self.serial
    }

    /// The group tag, if any.
    pub fn group_tag(&self) -> Option<&str> {
        self.group_tag.as_deref()
    }

    /// The purchase order id, if any.
    pub fn purchase_order(&self) -> Option<&str> {
        self.purchase_order.as_deref()
    }

    fn rebuild_physical_ids(&mut self) {
        let mut ids = Vec::with_capacity(3);
        match &self.ztd_id {
            Some(id) => ids.push(format!("[ZTDID]:{id}")),
            None => ids.push(format!("[ZTDID]:unregistered-{}", self.serial)),
        }
        if let Some(tag) = &self.group_tag {
            ids.push(format!("[OrderId]:{tag}"));
        }
        if let Some(po) = &self.purchase_order {
            ids.push(format!("[PurchaseOrderId]:{po}"));
        }
        self.physical_ids = ids;
    }
}

impl DeviceAttributes for KnownDevice {
    fn property(&self, name: &str) -> Option<&str> {
        self.properties
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn physical_ids(&self) -> &[String] {
        &self.physical_ids
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn physical_ids_follow_the_registration() {
        let d = KnownDevice::new("5CG1234")
            .with_group_tag("Sales")
            .with_purchase_order("PO-7");
        assert_eq!(
            d.physical_ids(),
            [
                "[ZTDID]:unregistered-5CG1234",
                "[OrderId]:Sales",
                "[PurchaseOrderId]:PO-7"
            ]
        );
        let d = d.with_group_tag("").with_ztd_id("abc");
        assert_eq!(d.physical_ids(), ["[ZTDID]:abc", "[PurchaseOrderId]:PO-7"]);
        assert_eq!(d.group_tag(), None);
    }

    #[test]
    fn properties_are_looked_up_by_canonical_name() {
        let d = KnownDevice::new("X")
            .with_display_name("ENG-1")
            .with_property("deviceOSType", "Windows")
            .with_display_name("ENG-2");
        assert_eq!(d.property("displayName"), Some("ENG-2"));
        assert_eq!(d.property("deviceOSType"), Some("Windows"));
        assert_eq!(d.property("deviceModel"), None);
    }
}
