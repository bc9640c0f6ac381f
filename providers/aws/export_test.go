package aws

// ProfileRegionLoads is how many times d has read a profile's region from
// the shared files (tests only).
func (d *Driver) ProfileRegionLoads() int {
	d.regions.mu.Lock()
	defer d.regions.mu.Unlock()
	return d.regions.loads
}
