//! Host sources that read VMware's own view of a host: the ESXi feature view
//! shared by the SSH and vCenter readers ([`vmware_features`]) and the vCenter
//! source ([`vcenter`]: the vSphere Web Services API, or a saved export of it).

pub mod vcenter;
pub mod vmware_features;
