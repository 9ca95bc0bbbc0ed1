// Command vcenter_sim serves govmomi's vCenter simulator (simulator.VPX) over
// TLS on 127.0.0.1 with an inventory built from a JSON fixture, for
// vmcompat's tests and benchmark (tests/vcenter.rs, benches/vcenter.sh).
//
// Build (no module download; Debian's golang-github-vmware-govmomi-dev):
//
//	GOPATH=/usr/share/gocode GO111MODULE=off GOCACHE=/tmp/gocache-vcenter \
//	  go build -o target/vcenter_sim ./tests/vcenter_sim
//
// Run:
//
//	target/vcenter_sim -fixture FILE [-cert-dir DIR] [-scale-hosts N -scale-vms M]
//	                   [-deny PATH] [-deny-call METHOD] [-hang-after N] [-save DIR | -load DIR]
//
// It prints "URL https://127.0.0.1:PORT/sdk", "THUMBPRINT AA:BB:..." (SHA-256 of
// its certificate), "CAFILE DIR/ca.pem", then "READY", and serves until its
// standard input closes or it is killed. The user and password are the
// fixture's ("user", "password").
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"flag"
	"fmt"
	"io"
	"io/ioutil"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/view"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
	"github.com/vmware/govmomi/vim25/xml"
)

// Fixture is the inventory to build.
type Fixture struct {
	User        string       `json:"user"`
	Password    string       `json:"password"`
	Datacenters []Datacenter `json:"datacenters"`
	Datastores  []DS         `json:"datastores"`
	DVS         []DVS        `json:"dvs"`
	VMs         []VM         `json:"vms"`
}

type Datacenter struct {
	Name       string    `json:"name"`
	Clusters   []Cluster `json:"clusters"`
	Standalone []Host    `json:"standalone"`
}

type Cluster struct {
	Name  string `json:"name"`
	EVC   string `json:"evc"`
	Hosts []Host `json:"hosts"`
}

type CPU struct {
	Description string      `json:"description"`
	Vendor      string      `json:"vendor"`
	Leaves      [][5]uint32 `json:"leaves"`
	Caps        [][2]string `json:"caps"`
	MaxEVC      string      `json:"maxEvc"`
}

type Pnic struct {
	Device string `json:"device"`
	Speed  int32  `json:"speed"`
}

type VSwitch struct {
	Name    string   `json:"name"`
	Uplinks []string `json:"uplinks"`
}

type PortGroup struct {
	Name    string `json:"name"`
	VSwitch string `json:"vswitch"`
	VLAN    int32  `json:"vlan"`
}

type Vmotion struct {
	Device    string `json:"device"`
	PortGroup string `json:"portgroup"`
	IP        string `json:"ip"`
	Mask      string `json:"mask"`
	MTU       int32  `json:"mtu"`
}

type Host struct {
	Name       string      `json:"name"`
	CPU        CPU         `json:"cpu"`
	Version    string      `json:"version"`
	Pnics      []Pnic      `json:"pnics"`
	VSwitches  []VSwitch   `json:"vswitches"`
	PortGroups []PortGroup `json:"portgroups"`
	Vmotion    *Vmotion    `json:"vmotion"`
}

type DS struct {
	Name    string   `json:"name"`
	Type    string   `json:"type"` // VMFS or NFS
	UUID    string   `json:"uuid"`
	Extents []string `json:"extents"`
	Server  string   `json:"server"`
	Path    string   `json:"path"`
	Hosts   []string `json:"hosts"`
	Local   bool     `json:"local"`
}

type DVS struct {
	Name       string   `json:"name"`
	Datacenter string   `json:"datacenter"`
	PortGroups []string `json:"portgroups"`
	Hosts      []string `json:"hosts"`
}

type CD struct {
	ISO            string `json:"iso"`
	Device         string `json:"device"`
	Client         bool   `json:"client"`
	Connected      bool   `json:"connected"`
	StartConnected bool   `json:"startConnected"`
}

type NIC struct {
	Network   string `json:"network"`
	DVPG      string `json:"dvpg"`
	Connected bool   `json:"connected"`
}

type VM struct {
	Name         string            `json:"name"`
	Host         string            `json:"host"`
	Datastore    string            `json:"datastore"`
	Version      string            `json:"version"`
	Power        string            `json:"power"`
	ToolsStatus  string            `json:"toolsStatus"`
	ToolsRunning string            `json:"toolsRunning"`
	Heartbeat    string            `json:"heartbeat"`
	ExtraConfig  map[string]string `json:"extraConfig"`
	FeatureMask  map[string]string `json:"featureMask"`
	CD           *CD               `json:"cdrom"`
	NICs         []NIC             `json:"nics"`
	Affinity     []int32           `json:"affinity"`
	Snapshots    []string          `json:"snapshots"`
}

func bits(v uint32) string {
	s := fmt.Sprintf("%032b", v)
	var parts []string
	for i := 0; i < 32; i += 4 {
		parts = append(parts, s[i:i+4])
	}
	return strings.Join(parts, ":")
}

func must(err error) {
	if err != nil {
		log.Fatal(err)
	}
}

func wait(ctx context.Context, t *object.Task, err error) types.AnyType {
	must(err)
	info, err := t.WaitForResult(ctx, nil)
	must(err)
	return info.Result
}

type built struct {
	hosts   map[string]*object.HostSystem
	pools   map[string]*object.ResourcePool
	dcs     map[string]*object.DatacenterFolders
	hostDC  map[string]string
	dvpg    map[string]types.ManagedObjectReference
	dvsUUID map[string]string
}

// setHost applies a fixture host's CPU, release and network to the simulator's object.
func setHost(ref types.ManagedObjectReference, h Host, evc string) {
	hs := simulator.Map.Get(ref).(*simulator.HostSystem)
	var leaves []types.HostCpuIdInfo
	for _, l := range h.CPU.Leaves {
		leaves = append(leaves, types.HostCpuIdInfo{
			Level: int32(l[0]), Eax: bits(l[1]), Ebx: bits(l[2]), Ecx: bits(l[3]), Edx: bits(l[4]),
		})
	}
	hw := *hs.Hardware
	hw.CpuFeature = leaves
	hw.CpuPkg = []types.HostCpuPackage{{Index: 0, Vendor: h.CPU.Vendor, Description: h.CPU.Description, CpuFeature: leaves}}
	hs.Hardware = &hw
	var caps []types.HostFeatureCapability
	for _, c := range h.CPU.Caps {
		caps = append(caps, types.HostFeatureCapability{Key: c[0], FeatureName: c[0], Value: c[1]})
	}
	hs.Config.FeatureCapability = caps
	hs.Summary.MaxEVCModeKey = h.CPU.MaxEVC
	hs.Summary.CurrentEVCModeKey = evc
	if h.Version != "" {
		hs.Config.Product.Version = h.Version
		hs.Config.Product.FullName = "VMware ESXi " + h.Version
	}
	if len(h.Pnics) == 0 && len(h.VSwitches) == 0 && len(h.PortGroups) == 0 {
		return
	}
	netw := &types.HostNetworkInfo{}
	for _, p := range h.Pnics {
		pn := types.PhysicalNic{Key: "key-vim.host.PhysicalNic-" + p.Device, Device: p.Device, Driver: "ixgben"}
		if p.Speed > 0 {
			pn.LinkSpeed = &types.PhysicalNicLinkInfo{SpeedMb: p.Speed, Duplex: true}
		}
		netw.Pnic = append(netw.Pnic, pn)
	}
	for _, s := range h.VSwitches {
		vs := types.HostVirtualSwitch{Name: s.Name, Key: "key-vim.host.VirtualSwitch-" + s.Name, NumPorts: 128, Mtu: 1500}
		for _, u := range s.Uplinks {
			vs.Pnic = append(vs.Pnic, "key-vim.host.PhysicalNic-"+u)
		}
		for _, pg := range h.PortGroups {
			if pg.VSwitch == s.Name {
				vs.Portgroup = append(vs.Portgroup, "key-vim.host.PortGroup-"+pg.Name)
			}
		}
		netw.Vswitch = append(netw.Vswitch, vs)
	}
	for _, pg := range h.PortGroups {
		netw.Portgroup = append(netw.Portgroup, types.HostPortGroup{
			Key:  "key-vim.host.PortGroup-" + pg.Name,
			Spec: types.HostPortGroupSpec{Name: pg.Name, VlanId: pg.VLAN, VswitchName: pg.VSwitch, Policy: types.HostNetworkPolicy{}},
		})
	}
	vnic := types.HostVirtualNic{
		Device: "vmk0", Key: "key-vim.host.VirtualNic-vmk0", Portgroup: "Management Network",
		Spec: types.HostVirtualNicSpec{Ip: &types.HostIpConfig{IpAddress: "192.168.0.10", SubnetMask: "255.255.255.0"}, Mtu: 1500, NetStackInstanceKey: "defaultTcpipStack"},
	}
	netw.Vnic = append(netw.Vnic, vnic)
	if v := h.Vmotion; v != nil {
		vm := types.HostVirtualNic{
			Device: v.Device, Key: "key-vim.host.VirtualNic-" + v.Device, Portgroup: v.PortGroup,
			Spec: types.HostVirtualNicSpec{Ip: &types.HostIpConfig{IpAddress: v.IP, SubnetMask: v.Mask}, Mtu: v.MTU, NetStackInstanceKey: "defaultTcpipStack"},
		}
		netw.Vnic = append(netw.Vnic, vm)
		hs.Config.VirtualNicManagerInfo = &types.HostVirtualNicManagerInfo{NetConfig: []types.VirtualNicManagerNetConfig{{
			NicType: "vmotion", MultiSelectAllowed: true,
			CandidateVnic: []types.HostVirtualNic{vnic, vm},
			SelectedVnic:  []string{"vmotion." + vm.Key},
		}}}
	}
	hs.Config.Network = netw
}

func build(ctx context.Context, c *vim25.Client, fx *Fixture, scaleHosts, scaleVMs int) *built {
	b := &built{hosts: map[string]*object.HostSystem{}, pools: map[string]*object.ResourcePool{}, dcs: map[string]*object.DatacenterFolders{}, hostDC: map[string]string{}, dvpg: map[string]types.ManagedObjectReference{}, dvsUUID: map[string]string{}}
	root := object.NewRootFolder(c)
	if scaleHosts > 0 {
		// Benchmark: 10 clusters of scaleHosts/10 hosts, copies of the fixture's first cluster's hosts.
		tmpl := fx.Datacenters[0].Clusters[0]
		dc := Datacenter{Name: "DC-bench"}
		for ci := 0; ci < 10; ci++ {
			cl := Cluster{Name: fmt.Sprintf("bench-%02d", ci), EVC: tmpl.EVC}
			for hi := 0; hi < scaleHosts/10; hi++ {
				h := tmpl.Hosts[(ci+hi)%len(tmpl.Hosts)]
				h.Name = fmt.Sprintf("esx-%02d-%03d", ci, hi)
				cl.Hosts = append(cl.Hosts, h)
			}
			dc.Clusters = append(dc.Clusters, cl)
		}
		var names []string
		for _, cl := range dc.Clusters {
			for _, h := range cl.Hosts {
				names = append(names, h.Name)
			}
		}
		ds := DS{Name: "bench-vmfs", Type: "VMFS", UUID: "5f1e0c2a-11111111-2222-333333333333", Extents: []string{"naa.600a098038303053453f463045727a41"}, Hosts: names}
		var vms []VM
		for i := 0; i < scaleVMs; i++ {
			v := fx.VMs[i%len(fx.VMs)]
			v.Name = fmt.Sprintf("vm-%05d", i)
			v.Host = names[i%len(names)]
			v.Datastore = ds.Name
			v.NICs = []NIC{{Network: "VM Network", Connected: true}}
			v.Snapshots = nil
			vms = append(vms, v)
		}
		fx = &Fixture{User: fx.User, Password: fx.Password, Datacenters: []Datacenter{dc}, Datastores: []DS{ds}, VMs: vms}
		fx.Datacenters[0] = dc
	}
	for _, d := range fx.Datacenters {
		dc, err := root.CreateDatacenter(ctx, d.Name)
		must(err)
		folders, err := dc.Folders(ctx)
		must(err)
		b.dcs[d.Name] = folders
		add := func(h Host, evc string, t *object.Task, err error) {
			ref := wait(ctx, t, err).(types.ManagedObjectReference)
			setHost(ref, h, evc)
			host := object.NewHostSystem(c, ref)
			b.hosts[h.Name] = host
			b.hostDC[h.Name] = d.Name
			pool, err := host.ResourcePool(ctx)
			must(err)
			b.pools[h.Name] = pool
		}
		for _, cl := range d.Clusters {
			cluster, err := folders.HostFolder.CreateCluster(ctx, cl.Name, types.ClusterConfigSpecEx{})
			must(err)
			obj := simulator.Map.Get(cluster.Reference()).(*simulator.ClusterComputeResource)
			if s, ok := obj.Summary.(*types.ClusterComputeResourceSummary); ok {
				s.CurrentEVCModeKey = cl.EVC
			}
			for _, h := range cl.Hosts {
				t, err := cluster.AddHost(ctx, types.HostConnectSpec{HostName: h.Name}, true, nil, nil)
				add(h, cl.EVC, t, err)
			}
		}
		for _, h := range d.Standalone {
			t, err := folders.HostFolder.AddStandaloneHost(ctx, types.HostConnectSpec{HostName: h.Name}, true, nil, nil)
			add(h, "", t, err)
		}
	}
	tmp, err := ioutil.TempDir("", "vcenter-sim-ds-")
	must(err)
	for _, ds := range fx.Datastores {
		dir := filepath.Join(tmp, ds.Name)
		must(os.MkdirAll(dir, 0o755))
		var ref types.ManagedObjectReference
		var mounts []types.DatastoreHostMount
		for _, hn := range ds.Hosts {
			h, ok := b.hosts[hn]
			if !ok {
				log.Fatalf("datastore %s: no host %s", ds.Name, hn)
			}
			dss, err := h.ConfigManager().DatastoreSystem(ctx)
			must(err)
			d, err := dss.CreateLocalDatastore(ctx, ds.Name, dir)
			must(err)
			ref = d.Reference()
			mounts = append(mounts, types.DatastoreHostMount{Key: h.Reference(), MountInfo: types.HostMountInfo{Path: "/vmfs/volumes/" + ds.Name, AccessMode: "readWrite", Mounted: types.NewBool(true), Accessible: types.NewBool(true)}})
		}
		obj := simulator.Map.Get(ref).(*simulator.Datastore)
		obj.Host = mounts
		base := types.DatastoreInfo{Name: ds.Name, Url: dir}
		switch ds.Type {
		case "VMFS":
			var ext []types.HostScsiDiskPartition
			for _, e := range ds.Extents {
				ext = append(ext, types.HostScsiDiskPartition{DiskName: e, Partition: 1})
			}
			obj.Info = &types.VmfsDatastoreInfo{DatastoreInfo: base, Vmfs: &types.HostVmfsVolume{
				HostFileSystemVolume: types.HostFileSystemVolume{Type: "VMFS", Name: ds.Name},
				Uuid:                 ds.UUID, Extent: ext, Local: types.NewBool(ds.Local), Version: "6.82", MajorVersion: 6,
			}}
			obj.Summary.Type = "VMFS"
		case "NFS":
			obj.Info = &types.NasDatastoreInfo{DatastoreInfo: base, Nas: &types.HostNasVolume{
				HostFileSystemVolume: types.HostFileSystemVolume{Type: "NFS", Name: ds.Name},
				RemoteHost:           ds.Server, RemotePath: ds.Path,
			}}
			obj.Summary.Type = "NFS"
		}
	}
	for _, d := range fx.DVS {
		folders := b.dcs[d.Datacenter]
		var spec types.DVSCreateSpec
		spec.ConfigSpec = &types.VMwareDVSConfigSpec{}
		spec.ConfigSpec.GetDVSConfigSpec().Name = d.Name
		t0, err := folders.NetworkFolder.CreateDVS(ctx, spec)
		ref := wait(ctx, t0, err).(types.ManagedObjectReference)
		dvs := object.NewDistributedVirtualSwitch(c, ref)
		var pgs []types.DVPortgroupConfigSpec
		for _, p := range d.PortGroups {
			pgs = append(pgs, types.DVPortgroupConfigSpec{Name: p})
		}
		t, err := dvs.AddPortgroup(ctx, pgs)
		must(err)
		must(t.Wait(ctx))
		var members []types.DistributedVirtualSwitchHostMemberConfigSpec
		for _, hn := range d.Hosts {
			members = append(members, types.DistributedVirtualSwitchHostMemberConfigSpec{Operation: "add", Host: b.hosts[hn].Reference()})
		}
		t, err = dvs.Reconfigure(ctx, &types.DVSConfigSpec{Host: members})
		must(err)
		must(t.Wait(ctx))
		sw := simulator.Map.Get(ref).(*simulator.DistributedVirtualSwitch)
		b.dvsUUID[d.Name] = sw.Uuid
		for _, pg := range sw.Portgroup {
			p := simulator.Map.Get(pg).(*simulator.DistributedVirtualPortgroup)
			b.dvpg[p.Name] = pg
		}
	}
	for i, v := range fx.VMs {
		h := b.hosts[v.Host]
		folders := b.dcs[b.hostDC[v.Host]]
		spec := types.VirtualMachineConfigSpec{
			Name: v.Name, GuestId: "otherGuest64", Version: v.Version,
			Files: &types.VirtualMachineFileInfo{VmPathName: "[" + v.Datastore + "]"},
		}
		t0, err := folders.VmFolder.CreateVM(ctx, spec, b.pools[v.Host], h)
		ref := wait(ctx, t0, err).(types.ManagedObjectReference)
		vm := simulator.Map.Get(ref).(*simulator.VirtualMachine)
		setVM(vm, v, b, i)
	}
	return b
}

func setVM(vm *simulator.VirtualMachine, v VM, b *built, n int) {
	if v.Version != "" {
		vm.Config.Version = v.Version
	}
	vm.Config.Files.VmPathName = fmt.Sprintf("[%s] %s/%s.vmx", v.Datastore, v.Name, v.Name)
	var extra []types.BaseOptionValue
	for k, val := range v.ExtraConfig {
		extra = append(extra, &types.OptionValue{Key: k, Value: val})
	}
	vm.Config.ExtraConfig = extra
	var fm []types.HostFeatureMask
	for k, val := range v.FeatureMask {
		fm = append(fm, types.HostFeatureMask{Key: k, FeatureName: k, Value: val})
	}
	vm.Runtime.FeatureMask = fm
	if len(v.Affinity) > 0 {
		vm.Config.CpuAffinity = &types.VirtualMachineAffinityInfo{AffinitySet: v.Affinity}
	}
	devices := []types.BaseVirtualDevice{
		&types.VirtualIDEController{VirtualController: types.VirtualController{BusNumber: 0, VirtualDevice: types.VirtualDevice{Key: 200}}},
		&types.VirtualIDEController{VirtualController: types.VirtualController{BusNumber: 1, VirtualDevice: types.VirtualDevice{Key: 201}}},
		&types.ParaVirtualSCSIController{VirtualSCSIController: types.VirtualSCSIController{SharedBus: "noSharing", VirtualController: types.VirtualController{BusNumber: 0, VirtualDevice: types.VirtualDevice{Key: 1000}}}},
		&types.VirtualDisk{VirtualDevice: types.VirtualDevice{Key: 2000, ControllerKey: 1000, UnitNumber: types.NewInt32(0),
			Backing: &types.VirtualDiskFlatVer2BackingInfo{VirtualDeviceFileBackingInfo: types.VirtualDeviceFileBackingInfo{FileName: fmt.Sprintf("[%s] %s/%s.vmdk", v.Datastore, v.Name, v.Name)}, DiskMode: "persistent"}},
			CapacityInKB: 1048576},
	}
	if cd := v.CD; cd != nil {
		dev := &types.VirtualCdrom{VirtualDevice: types.VirtualDevice{Key: 3000, ControllerKey: 201, UnitNumber: types.NewInt32(0),
			Connectable: &types.VirtualDeviceConnectInfo{Connected: cd.Connected, StartConnected: cd.StartConnected, Status: "ok"}}}
		switch {
		case cd.ISO != "":
			dev.Backing = &types.VirtualCdromIsoBackingInfo{VirtualDeviceFileBackingInfo: types.VirtualDeviceFileBackingInfo{FileName: cd.ISO}}
		case cd.Client:
			dev.Backing = &types.VirtualCdromRemotePassthroughBackingInfo{VirtualDeviceRemoteDeviceBackingInfo: types.VirtualDeviceRemoteDeviceBackingInfo{DeviceName: ""}}
		default:
			dev.Backing = &types.VirtualCdromAtapiBackingInfo{VirtualDeviceDeviceBackingInfo: types.VirtualDeviceDeviceBackingInfo{DeviceName: cd.Device}}
		}
		devices = append(devices, dev)
	}
	for i, nic := range v.NICs {
		card := &types.VirtualVmxnet3{}
		card.Key = int32(4000 + i)
		card.MacAddress = fmt.Sprintf("00:50:56:%02x:%02x:%02x", (n>>8)&0xff, n&0xff, i)
		card.Connectable = &types.VirtualDeviceConnectInfo{Connected: nic.Connected, StartConnected: nic.Connected, Status: "ok"}
		if nic.DVPG != "" {
			pg := b.dvpg[nic.DVPG]
			p := simulator.Map.Get(pg).(*simulator.DistributedVirtualPortgroup)
			card.Backing = &types.VirtualEthernetCardDistributedVirtualPortBackingInfo{Port: types.DistributedVirtualSwitchPortConnection{PortgroupKey: p.Key, SwitchUuid: "uuid"}}
		} else {
			card.Backing = &types.VirtualEthernetCardNetworkBackingInfo{VirtualDeviceDeviceBackingInfo: types.VirtualDeviceDeviceBackingInfo{DeviceName: nic.Network}}
		}
		devices = append(devices, card)
	}
	vm.Config.Hardware.Device = devices
	if v.Power != "" {
		vm.Runtime.PowerState = types.VirtualMachinePowerState(v.Power)
		vm.Summary.Runtime.PowerState = vm.Runtime.PowerState
	}
	if v.ToolsStatus != "" {
		vm.Guest.ToolsStatus = types.VirtualMachineToolsStatus(v.ToolsStatus)
	}
	if v.ToolsRunning != "" {
		vm.Guest.ToolsRunningStatus = v.ToolsRunning
	}
	if v.Heartbeat != "" {
		vm.GuestHeartbeatStatus = types.ManagedEntityStatus(v.Heartbeat)
	}
	if len(v.Snapshots) > 0 {
		var tree []types.VirtualMachineSnapshotTree
		for i := len(v.Snapshots) - 1; i >= 0; i-- {
			node := types.VirtualMachineSnapshotTree{Name: v.Snapshots[i], Id: int32(i + 1), Vm: vm.Self, State: "poweredOff",
				Snapshot: types.ManagedObjectReference{Type: "VirtualMachineSnapshot", Value: fmt.Sprintf("snapshot-%d-%d", n, i)}, ChildSnapshotList: tree}
			tree = []types.VirtualMachineSnapshotTree{node}
		}
		vm.Snapshot = &types.VirtualMachineSnapshotInfo{RootSnapshotList: tree}
	}
}

// certificate makes a CA and a server certificate for 127.0.0.1 signed by it.
func certificate(dir string) (tls.Certificate, string, string) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(err)
	now := time.Now()
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "vcenter_sim test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	must(err)
	ca, err := x509.ParseCertificate(caDER)
	must(err)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), DNSNames: []string{"localhost"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	must(err)
	sum := sha256.Sum256(der)
	var hex []string
	for _, b := range sum {
		hex = append(hex, fmt.Sprintf("%02X", b))
	}
	caFile := filepath.Join(dir, "ca.pem")
	must(ioutil.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o644))
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, strings.Join(hex, ":"), caFile
}

var objRe = regexp.MustCompile(`<obj type="([A-Za-z]+)">([^<]+)</obj>`)

// middleware: NoPermission faults, missing properties, and a server that stops answering.
func middleware(next http.Handler, deny, denyCall string, hangAfter int64) http.Handler {
	var n int64
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			next.ServeHTTP(w, r)
			return
		}
		count := atomic.AddInt64(&n, 1)
		if hangAfter > 0 && count > hangAfter {
			<-r.Context().Done() // never answers
			return
		}
		body, _ := ioutil.ReadAll(r.Body)
		if denyCall != "" && bytes.Contains(body, []byte("<"+denyCall+" ")) {
			w.Header().Set("Content-Type", "text/xml; charset=utf-8")
			w.WriteHeader(http.StatusInternalServerError)
			fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><soapenv:Fault><faultcode>ServerFaultCode</faultcode><faultstring>Permission to perform this operation was denied.</faultstring><detail><NoPermissionFault xmlns="urn:vim25" xsi:type="NoPermission"><object type="Folder">group-d1</object><privilegeId>System.View</privilegeId></NoPermissionFault></detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>`)
			return
		}
		if m := tokenRe.FindSubmatch(body); m != nil && bytes.Contains(body, []byte("<ContinueRetrievePropertiesEx")) {
			if page, ok := nextPage(string(m[1])); ok {
				w.Header().Set("Content-Type", "text/xml; charset=utf-8")
				io.WriteString(w, page)
				return
			}
		}
		rewrite := deny != "" && bytes.Contains(body, []byte("<pathSet>"+deny+"</pathSet>"))
		if rewrite {
			body = bytes.Replace(body, []byte("<pathSet>"+deny+"</pathSet>"), nil, -1)
		}
		max := 0
		if m := maxRe.FindSubmatch(body); m != nil && bytes.Contains(body, []byte("<RetrievePropertiesEx")) {
			fmt.Sscan(string(m[1]), &max)
		}
		r.Body = ioutil.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
		if !rewrite && max == 0 {
			next.ServeHTTP(w, r)
			return
		}
		rec := &recorder{header: http.Header{}}
		next.ServeHTTP(rec, r)
		out := rec.buf.String()
		if rewrite {
			out = objRe.ReplaceAllString(out, `<obj type="$1">$2</obj><missingSet><path>`+deny+`</path><fault><fault xsi:type="NoPermission"><object type="$1">$2</object><privilegeId>System.Read</privilegeId></fault><localizedMessage>Permission to perform this operation was denied.</localizedMessage></fault></missingSet>`)
		}
		if max > 0 && rec.status == 200 {
			out = firstPage(out, max)
		}
		for k, v := range rec.header {
			w.Header()[k] = v
		}
		w.Header().Del("Content-Length")
		w.WriteHeader(rec.status)
		io.WriteString(w, out)
	})
}

// Paging as vCenter does it (govmomi 0.24's simulator answers every object at
// once): RetrievePropertiesEx gives at most maxObjects objects and a token;
// ContinueRetrievePropertiesEx(token) gives the next ones.
var (
	tokenRe = regexp.MustCompile(`<token>([^<]+)</token>`)
	maxRe   = regexp.MustCompile(`<maxObjects>(\d+)</maxObjects>`)
	pagesMu sync.Mutex
	pages   = map[string]*pending{}
	pageSeq int
)

type pending struct {
	head    string // the envelope up to and including <soapenv:Body>
	objects []string
	max     int
}

func splitObjects(body string) (head, prefix string, objs []string, suffix string, ok bool) {
	start := strings.Index(body, "<objects>")
	end := strings.LastIndex(body, "</objects>")
	b := strings.Index(body, "<soapenv:Body>")
	if start < 0 || end < 0 || b < 0 {
		return "", "", nil, "", false
	}
	end += len("</objects>")
	rest := body[start:end]
	for len(rest) > 0 {
		i := strings.Index(rest, "</objects>")
		if i < 0 {
			return "", "", nil, "", false
		}
		objs = append(objs, rest[:i+len("</objects>")])
		rest = rest[i+len("</objects>"):]
	}
	return body[:b+len("<soapenv:Body>")], body[:start], objs, body[end:], true
}

func remember(head string, objs []string, max int) string {
	pagesMu.Lock()
	defer pagesMu.Unlock()
	pageSeq++
	t := fmt.Sprintf("page-%d", pageSeq)
	pages[t] = &pending{head: head, objects: objs, max: max}
	return t
}

func firstPage(body string, max int) string {
	head, prefix, objs, suffix, ok := splitObjects(body)
	if !ok || len(objs) <= max {
		return body
	}
	t := remember(head, objs[max:], max)
	return prefix + strings.Join(objs[:max], "") + "<token>" + t + "</token>" + suffix
}

func nextPage(token string) (string, bool) {
	pagesMu.Lock()
	p, ok := pages[token]
	delete(pages, token)
	pagesMu.Unlock()
	if !ok {
		return "", false
	}
	n := p.max
	if n > len(p.objects) {
		n = len(p.objects)
	}
	more := ""
	if n < len(p.objects) {
		more = "<token>" + remember(p.head, p.objects[n:], p.max) + "</token>"
	}
	return p.head + `<ContinueRetrievePropertiesExResponse xmlns="urn:vim25"><returnval>` +
		strings.Join(p.objects[:n], "") + more +
		"</returnval></ContinueRetrievePropertiesExResponse></soapenv:Body></soapenv:Envelope>", true
}

type recorder struct {
	header http.Header
	buf    bytes.Buffer
	status int
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = 200
	}
	return r.buf.Write(b)
}
func (r *recorder) WriteHeader(s int) { r.status = s }

// save writes the inventory as `govc object.save -d dir` does: one
// NNNN-Type-id.xml ObjectContent file per managed object, every property.
func save(ctx context.Context, c *vim25.Client, dir string) {
	must(os.MkdirAll(dir, 0o755))
	n := 0
	write := func(x types.ObjectContent) {
		x.MissingSet = nil
		name := fmt.Sprintf("%04d-%s.xml", n, x.Obj.Encode())
		n++
		f, err := os.Create(filepath.Join(dir, name))
		must(err)
		e := xml.NewEncoder(f)
		e.Indent("", "  ")
		must(e.Encode(x))
		must(f.Close())
	}
	pc := property.DefaultCollector(c)
	var content []types.ObjectContent
	must(pc.RetrieveOne(ctx, vim25.ServiceInstance, []string{"content"}, &content))
	for _, x := range content {
		write(x)
	}
	req := types.RetrievePropertiesEx{This: pc.Reference(), Options: types.RetrieveOptions{MaxObjects: 100}}
	// The service's managers, every property (the license and service
	// managers without, as govc does), so Model.Load finds them.
	for _, ref := range mo.References(c.ServiceContent) {
		all := types.NewBool(true)
		if ref.Type == "LicenseManager" || ref.Type == "ServiceManager" {
			all = nil
		}
		req.SpecSet = append(req.SpecSet, types.PropertyFilterSpec{
			ObjectSet: []types.ObjectSpec{{Obj: ref}},
			PropSet:   []types.PropertySpec{{Type: ref.Type, All: all}},
		})
	}
	m := view.NewManager(c)
	v, err := m.CreateContainerView(ctx, c.ServiceContent.RootFolder, nil, true)
	must(err)
	// Every entity, and the host managers and browsers reachable from them.
	hop := func(name, ty, path string) types.BaseSelectionSpec {
		return &types.TraversalSpec{SelectionSpec: types.SelectionSpec{Name: name}, Type: ty, Path: path}
	}
	names := []string{"cr-browser", "ds-browser", "host-dss", "host-net", "host-vnic", "host-cert"}
	var sel []types.BaseSelectionSpec
	for _, n := range names {
		sel = append(sel, &types.SelectionSpec{Name: n})
	}
	req.SpecSet = append(req.SpecSet, types.PropertyFilterSpec{
		ObjectSet: []types.ObjectSpec{{Obj: v.Reference(), Skip: types.NewBool(false), SelectSet: []types.BaseSelectionSpec{
			&types.TraversalSpec{Type: "ContainerView", Path: "view", SelectSet: sel},
			hop("cr-browser", "ComputeResource", "environmentBrowser"),
			hop("ds-browser", "Datastore", "browser"),
			hop("host-dss", "HostSystem", "configManager.datastoreSystem"),
			hop("host-net", "HostSystem", "configManager.networkSystem"),
			hop("host-vnic", "HostSystem", "configManager.virtualNicManager"),
			hop("host-cert", "HostSystem", "configManager.certificateManager"),
		}}},
		PropSet: []types.PropertySpec{
			{Type: "ManagedEntity", All: types.NewBool(true)},
			{Type: "EnvironmentBrowser", All: types.NewBool(true)},
			{Type: "HostDatastoreBrowser", All: types.NewBool(true)},
			{Type: "HostDatastoreSystem", All: types.NewBool(true)},
			{Type: "HostNetworkSystem", All: types.NewBool(true)},
			{Type: "HostVirtualNicManager", All: types.NewBool(true)},
			{Type: "HostCertificateManager", All: types.NewBool(true)},
		},
	})
	res, err := methods.RetrievePropertiesEx(ctx, c, &req)
	must(err)
	for {
		for _, x := range res.Returnval.Objects {
			if x.Obj.Type == "ContainerView" {
				continue
			}
			write(x)
		}
		if res.Returnval.Token == "" {
			break
		}
		cres, err := methods.ContinueRetrievePropertiesEx(ctx, c, &types.ContinueRetrievePropertiesEx{This: req.This, Token: res.Returnval.Token})
		must(err)
		res.Returnval = &cres.Returnval
	}
	fmt.Printf("SAVED %d objects to %s\n", n, dir)
}

func main() {
	fixture := flag.String("fixture", "", "JSON inventory")
	certDir := flag.String("cert-dir", "", "directory for ca.pem (default: a temp dir)")
	scaleHosts := flag.Int("scale-hosts", 0, "benchmark: this many hosts (copies of the fixture's first cluster)")
	scaleVMs := flag.Int("scale-vms", 0, "benchmark: this many VMs")
	deny := flag.String("deny", "", "answer this property path with a NoPermission missingSet")
	denyCall := flag.String("deny-call", "", "answer this method with a NoPermission fault")
	hangAfter := flag.Int64("hang-after", 0, "stop answering after this many SOAP requests")
	saveDir := flag.String("save", "", "write the inventory as govc object.save does, then exit")
	loadDir := flag.String("load", "", "serve an inventory saved by -save / govc object.save (Model.Load)")
	user := flag.String("user", "", "user name (default: the fixture's)")
	password := flag.String("password", "", "password (default: the fixture's)")
	flag.Parse()
	log.SetFlags(0)
	fx := &Fixture{User: "auditor@vsphere.local", Password: "secret"}
	if *fixture != "" {
		data, err := ioutil.ReadFile(*fixture)
		must(err)
		must(json.Unmarshal(data, fx))
	}
	if *user != "" {
		fx.User = *user
	}
	if *password != "" {
		fx.Password = *password
	}
	ctx := context.Background()
	m := simulator.VPX()
	m.Datacenter, m.Cluster, m.ClusterHost, m.Host, m.Machine, m.Datastore, m.Portgroup, m.Pool = 0, 0, 0, 0, 0, 0, 0, 0
	if *loadDir != "" {
		must(m.Load(*loadDir))
	} else {
		must(m.Create())
	}
	defer m.Remove()
	if *loadDir == "" {
		c, err := vim25.NewClient(ctx, m.Service)
		must(err)
		build(ctx, c, fx, *scaleHosts, *scaleVMs)
		if *saveDir != "" {
			save(ctx, c, *saveDir)
			return
		}
	}
	dir := *certDir
	if dir == "" {
		d, err := ioutil.TempDir("", "vcenter-sim-cert-")
		must(err)
		dir = d
	}
	must(os.MkdirAll(dir, 0o755))
	cert, thumb, caFile := certificate(dir)
	m.Service.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	m.Service.Listen = &url.URL{Host: "127.0.0.1:0", User: url.UserPassword(fx.User, fx.Password)}
	srv := m.Service.NewServer()
	defer srv.Close()
	srv.Config.Handler = middleware(srv.Config.Handler, *deny, *denyCall, *hangAfter)
	u := *srv.URL
	u.User = nil
	fmt.Printf("URL %s\nTHUMBPRINT %s\nCAFILE %s\nREADY\n", u.String(), thumb, caFile)
	_ = os.Stdout.Sync()
	// Serve until stdin closes (the test drops its pipe) or we are killed.
	_, _ = io.Copy(ioutil.Discard, bufio.NewReader(os.Stdin))
}
